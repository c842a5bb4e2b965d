#!/usr/bin/env bash
# Runs every libFuzzer target (Fuzz/Package.swift) for a bounded time, one after the other.
#
#   scripts/fuzz.sh            # 60 s per target
#   scripts/fuzz.sh 30         # CI-friendly: 30 s per target (plus one build of about a minute)
#   scripts/fuzz.sh 600 FuzzSMTPReply   # a long run of one target
#
# Prints the executions per target. A crash, leak, timeout or out-of-memory input is saved under
# fuzz-artifacts/<target>/ (git-ignored) and the script exits 1. The growing corpus lives in
# fuzz-artifacts/corpus/<target>/ and is reused by the next run; seeds come from the test corpora.
# Replay one input: Fuzz/.build-fuzz-opt/debug/<target> fuzz-artifacts/<target>/crash-...
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

seconds=${1:-60}
shift || true

# target name, then the seed folders (those that exist are used).
targets=(
  "FuzzSMTPReply|Fuzz/Seeds/SMTPReply"
  "FuzzMainCF|Fuzz/Seeds/MainCF Tests/PostfixConfigTests/Corpus"
  "FuzzMasterCF|Fuzz/Seeds/MasterCF Tests/PostfixConfigTests/Corpus"
  "FuzzDovecotConfig|Fuzz/Seeds/DovecotConfig Tests/PostfixConfigTests/Corpus"
  "FuzzLogLine|Fuzz/Seeds/LogLine Tests/MailLogTests/Fixtures"
  "FuzzLogGzip|Fuzz/Seeds/LogGzip"
)

# Only targets declared in Fuzz/Package.swift (the config and log targets arrive with their engines).
declared=$(grep -o 'name: "Fuzz[A-Za-z]*"' Fuzz/Package.swift | sed 's/name: "//; s/"//')
selected=("$@")

echo "== building the fuzz targets (libFuzzer + AddressSanitizer)" >&2
# -O: optimised code runs 10-15 times more inputs per second than -Onone (MailLog: 0.9 ms vs 0.06 ms a line);
# preconditions stay on (not -Ounchecked), and -c debug keeps the debug info for readable stack traces.
if ! swift build --package-path Fuzz --scratch-path Fuzz/.build-fuzz-opt -c debug -Xswiftc -O \
      -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library >fuzz-build.log 2>&1; then
  grep -E "error:" fuzz-build.log | head -20 >&2
  echo "fuzz build failed (fuzz-build.log)" >&2
  exit 2
fi
rm -f fuzz-build.log
bin=Fuzz/.build-fuzz-opt/debug

status=0
printf '%-20s %12s %10s %8s %s\n' target executions exec/s corpus result
for entry in "${targets[@]}"; do
  name=${entry%%|*}
  seeds=${entry#*|}
  echo "$declared" | grep -qx "$name" || continue
  if [ ${#selected[@]} -gt 0 ] && ! printf '%s\n' "${selected[@]}" | grep -qx "$name"; then continue; fi
  corpus=fuzz-artifacts/corpus/$name
  artifacts=fuzz-artifacts/$name
  mkdir -p "$corpus" "$artifacts"
  seed_dirs=()
  for s in $seeds; do [ -d "$s" ] && seed_dirs+=("$s"); done
  log=fuzz-artifacts/$name.log
  # -timeout: one input taking 10 s is a hang; -rss_limit_mb/-malloc_limit_mb: memory per process and per
  # allocation, ASan's shadow included. -detect_leaks=0: LeakSanitizer cannot see pointers Swift keeps in
  # enum spare bits, so a lazily built global (MailLog's rule table) is reported as a leak (libFuzzer's
  # per-input check and ASan's at-exit check both; ASAN_OPTIONS overrides).
  ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}" "$bin/$name" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=512 -detect_leaks=0 \
      -artifact_prefix="$root/$artifacts/" "$corpus" "${seed_dirs[@]}" >"$log" 2>&1
  rc=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  size=$(find "$corpus" -type f | wc -l)
  found=$(find "$artifacts" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
  result=ok
  if [ "$rc" -ne 0 ] || [ "$found" -gt 0 ]; then
    result="FAILED (exit $rc, $found artifact(s) in $artifacts, log $log)"
    status=1
  fi
  printf '%-20s %12s %10s %8s %s\n' "$name" "${runs:-?}" "${rate:-?}" "$size" "$result"
done
exit $status
