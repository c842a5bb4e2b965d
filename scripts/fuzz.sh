#!/usr/bin/env bash
# Runs every libFuzzer target (Fuzz/Package.swift) for a bounded time, one after the other.
#
#   scripts/fuzz.sh            # 60 s per target
#   scripts/fuzz.sh 30         # what CI runs (scripts/test.sh): 30 s per target, plus one build of 2-3 minutes
#   scripts/fuzz.sh 600 FuzzSMTPReply   # a long run of one target
#   FUZZ_RUNS=10000000 nice -n 19 scripts/fuzz.sh 36000 FuzzLogLine   # the long run: stop after 10 million inputs
#
# Prints the executions per target. A crash, leak, timeout or out-of-memory input is saved under
# fuzz-artifacts/<target>/ (git-ignored) and the script exits 1. The growing corpus lives in
# fuzz-artifacts/corpus/<target>/ and is reused by the next run; seeds come from the test corpora.
# Replay one input: Fuzz/.build-fuzz-release/release/<target> fuzz-artifacts/<target>/crash-...
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

seconds=${1:-60}
shift || true
runs=${FUZZ_RUNS:-}
# FUZZ_SANITIZE=fuzzer builds without AddressSanitizer: two to three times the inputs per second, for the
# 10-million-input runs on shared cores. Swift's own bounds and overflow checks and the harnesses'
# preconditions stay on either way; ASan adds the unsafe-pointer code (byte sources, zlib) to what is checked.
sanitize=${FUZZ_SANITIZE:-fuzzer,address}
case "$sanitize" in
  fuzzer,address) build_dir=Fuzz/.build-fuzz-release ;;
  fuzzer) build_dir=Fuzz/.build-fuzz-noasan ;;
  *) echo "FUZZ_SANITIZE is fuzzer,address or fuzzer" >&2; exit 2 ;;
esac

# target name, -max_len, then the seed folders (those that exist are used).
# -max_len: without it libFuzzer grows inputs to the largest seed (7-10 KB for the configuration and log
# corpora), and a 5 KB mutant costs five times a 1 KB one without reaching new code: each bound sits above
# the parser limit the harness sets (4096-byte SMTP replies, 512/1024-byte log lines), so the limit paths
# stay reachable. Measured on FuzzLogLine: 1,007 exec/s unbounded (9,922-byte inputs), 7,610 at 512.
targets=(
  "FuzzSMTPReply|4608|Fuzz/Seeds/SMTPReply"
  "FuzzMainCF|1024|Fuzz/Seeds/MainCF Tests/PostfixConfigTests/Corpus"
  "FuzzMasterCF|1024|Fuzz/Seeds/MasterCF Tests/PostfixConfigTests/Corpus"
  "FuzzDovecotConfig|1024|Fuzz/Seeds/DovecotConfig Tests/PostfixConfigTests/Corpus"
  "FuzzLogLine|1024|Fuzz/Seeds/LogLine Tests/MailLogTests/Fixtures"
  "FuzzLogGzip|1024|Fuzz/Seeds/LogGzip"
  "FuzzTLSReport|4096|Fuzz/Seeds/TLSReport"
)

declared=$(grep -o 'name: "Fuzz[A-Za-z]*"' Fuzz/Package.swift | sed 's/name: "//; s/"//')
selected=("$@")

echo "== building the fuzz targets (release, -sanitize=$sanitize)" >&2
# Release (-O, whole-module): 10-15 times the inputs per second of -Onone (MailLog: 0.9 ms vs 0.06 ms a
# line). Preconditions stay on (not -Ounchecked): the harnesses' checks are preconditions.
if ! swift build --package-path Fuzz --scratch-path "$build_dir" -c release \
      -Xswiftc -sanitize="$sanitize" -Xswiftc -parse-as-library >fuzz-build.log 2>&1; then
  grep -E "error:" fuzz-build.log | head -20 >&2
  echo "fuzz build failed (fuzz-build.log)" >&2
  exit 2
fi
rm -f fuzz-build.log
bin=$build_dir/release

status=0
printf '%-20s %12s %10s %8s %8s %s\n' target executions exec/s seconds corpus result
for entry in "${targets[@]}"; do
  IFS='|' read -r name max_len seeds <<<"$entry"
  echo "$declared" | grep -qx "$name" || continue
  if [ ${#selected[@]} -gt 0 ] && ! printf '%s\n' "${selected[@]}" | grep -qx "$name"; then continue; fi
  corpus=fuzz-artifacts/corpus/$name
  artifacts=fuzz-artifacts/$name
  mkdir -p "$corpus" "$artifacts"
  seed_dirs=()
  for s in $seeds; do [ -d "$s" ] && seed_dirs+=("$s"); done
  log=fuzz-artifacts/$name.log
  limit=(-max_total_time="$seconds")
  [ -n "$runs" ] && limit+=(-runs="$runs")
  started=$(date +%s)
  # -timeout: one input taking 10 s is a hang; -rss_limit_mb/-malloc_limit_mb: memory per process and per
  # allocation, ASan's shadow included. -detect_leaks=0: LeakSanitizer cannot see pointers Swift keeps in
  # enum spare bits, so a lazily built global (MailLog's rule table) is reported as a leak (libFuzzer's
  # per-input check and ASan's at-exit check both; ASAN_OPTIONS overrides).
  # SWIFT_BACKTRACE=enable=no: Swift's backtracer would read memory under ASan inside libFuzzer's crash
  # handling (an "unknown-crash" report of its own); libFuzzer prints the stack and saves the input.
  SWIFT_BACKTRACE="${SWIFT_BACKTRACE:-enable=no}" ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}" "$bin/$name" "${limit[@]}" -max_len="$max_len" -print_final_stats=1 \
      -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=512 -detect_leaks=0 \
      -artifact_prefix="$root/$artifacts/" "$corpus" "${seed_dirs[@]}" >"$log" 2>&1
  rc=$?
  elapsed=$(( $(date +%s) - started ))
  executed=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  size=$(find "$corpus" -type f | wc -l)
  found=$(find "$artifacts" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
  result=ok
  if [ "$rc" -ne 0 ] || [ "$found" -gt 0 ] || [ -z "$executed" ]; then
    result="FAILED (exit $rc, $found artifact(s) in $artifacts, log $log)"
    status=1
    # CI keeps only the console: show where it failed.
    grep -E "ERROR|SUMMARY|Fatal|precondition|==[0-9]+==" "$log" | head -20 >&2
  fi
  printf '%-20s %12s %10s %8s %8s %s\n' "$name" "${executed:-?}" "${rate:-?}" "$elapsed" "$size" "$result"
done
exit $status
