#!/usr/bin/env bash
# Runs the test suite under AddressSanitizer and ThreadSanitizer, each in its own scratch path
# (.build-asan, .build-tsan; git-ignored), one after the other: each is a full instrumented build.
#
#   scripts/sanitizers.sh                 # both, whole suite
#   scripts/sanitizers.sh address         # one of them
#   scripts/sanitizers.sh thread --filter ReliabilityTests   # extra arguments go to `swift test`
#
# Logs go to .build-<asan|tsan>/sanitizer.log. Exits non-zero when a run fails or a sanitizer reports.
# POSTLS_SANITIZER tells timing- and memory-bound tests that they run instrumented (they widen margins
# and skip the peak-RSS bound, which an instrumented binary cannot meet; the sanitizers check memory instead).
set -uo pipefail
cd "$(dirname "$0")/.."

kinds=(address thread)
if [ $# -gt 0 ] && { [ "$1" = address ] || [ "$1" = thread ]; }; then kinds=("$1"); shift; fi

status=0
for kind in "${kinds[@]}"; do
  case "$kind" in address) scratch=.build-asan ;; thread) scratch=.build-tsan ;; esac
  mkdir -p "$scratch"
  log="$scratch/sanitizer.log"
  echo "== $kind sanitizer: building and testing in $scratch (log: $log)" >&2
  start=$(date +%s)
  # halt_on_error=0 for TSan: report every race, not only the first; ASan stops at the first error anyway.
  POSTLS_SANITIZER="$kind" \
  TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=0 second_deadlock_stack=1}" \
  ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}" \
    swift test --sanitize="$kind" --scratch-path "$scratch" "$@" >"$log" 2>&1
  rc=$?
  reports=$(grep -c -E "^(==[0-9]+==ERROR: AddressSanitizer|WARNING: ThreadSanitizer|SUMMARY: (Address|Thread)Sanitizer)" "$log")
  elapsed=$(( $(date +%s) - start ))
  summary=$(grep -E "^✔ Test run|^✘ Test run|Executed [0-9]+ tests" "$log" | tail -2 | tr '\n' ' ')
  echo "== $kind: exit $rc, $reports sanitizer report line(s), ${elapsed} s; $summary" >&2
  if [ "$rc" -ne 0 ] || [ "$reports" -ne 0 ]; then status=1; fi
done
exit $status
