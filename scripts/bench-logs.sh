#!/usr/bin/env bash
# Benchmark of the log engine: `postls logs --json FILE > /dev/null` against `grep -c -F TLS FILE`
# and pflogsumm on the same generated log, in one run; reports throughput and peak RSS.
#
#   scripts/bench-logs.sh [SIZE_MB] [LOG_FILE]      (default: 200 MB logs in $TMPDIR with 2% and 15%
#                                                   failing connections; BENCH_FAIL_RATIOS="0.02 0.15")
#
# Throughput is from wall-clock time, the median of BENCH_RUNS (7) runs of postls and of grep; on a shared machine
# also compare the "cpu s" column.
# Needs: python3 (generator), /usr/bin/time (Debian package `time`), pflogsumm (Debian package
# `pflogsumm`; skipped with a note when missing). Builds postls as shipped (scripts/build-release.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

size_mb="${1:-200}"
runs="${BENCH_RUNS:-7}"
timer=/usr/bin/time
[ -x "$timer" ] || { echo "bench-logs: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }

# The binary the .deb ships (static Swift runtime): a dynamically linked build spends about 10 ms more starting up,
# a sixth of grep's whole run here.
echo "Building postls as shipped (scripts/build-release.sh) ..." >&2
postls=$(scripts/build-release.sh)

# bench LOG: times every contender on one log and prints the table.
bench() {
local log="$1"
bytes=$(stat -L -c %s "$log")  # -L: a symlinked log counts its target's size
lines=$(wc -l < "$log")

# Read the file once so every contender starts with it in the page cache.
cat "$log" > /dev/null

# run NAME RUNS CMD...: prints "NAME seconds peak-RSS-KB user-s sys-s" of the median run by wall time (stdout of
# CMD discarded, exit status ignored). One run on a shared 2-CPU machine scatters by tens of percent.
run() {
  local name="$1" runs="$2"; shift 2
  local stats all=()
  stats=$(mktemp)
  local start end
  for _ in $(seq "$runs"); do
    # Output goes to a file, not /dev/null: GNU grep stops at the first match when stdout is /dev/null.
    # Wall time from bash's microsecond clock (time's %e has 10 ms steps, a sixth of grep's run here).
    start=$EPOCHREALTIME
    "$timer" -o "$stats" -f "%M %U %S" "$@" > "$stats.out" 2>/dev/null || true
    end=$EPOCHREALTIME
    all+=("$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.4f", b - a }') $(tail -1 "$stats")")
  done
  rm -f "$stats" "$stats.out"
  echo "$name $(printf '%s\n' "${all[@]}" | sort -n -k1,1 | sed -n "$(( (runs + 1) / 2 ))p")"
}

results=()
results+=("$(run postls "$runs" "$postls" logs --json "$log")")
results+=("$(run grep "$runs" grep -c -F TLS "$log")")
if command -v pflogsumm > /dev/null; then
  results+=("$(run pflogsumm 1 pflogsumm "$log")")
else
  echo "pflogsumm not installed (apt-get install pflogsumm): skipped" >&2
fi

mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }')
echo
echo "Log: $log, $mb MB, $lines lines (postls and grep: the median of $runs runs; pflogsumm: one)"
printf "%-10s %10s %10s %12s %14s\n" tool seconds "cpu s" "MB/s" "peak RSS MB"
declare -A speed
for r in "${results[@]}"; do
  read -r name secs rss user sys <<< "$r"
  mbps=$(awk -v b="$bytes" -v s="$secs" 'BEGIN { if (s <= 0) s = 0.005; printf "%.0f", b / 1048576 / s }')
  speed[$name]=$mbps
  printf "%-10s %10s %10s %12s %14s\n" "$name" "$secs" "$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')" "$mbps" "$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }')"
done
echo
awk -v p="${speed[postls]}" -v g="${speed[grep]}" 'BEGIN { printf "postls / grep throughput: %.0f%% (target >= 50%%)\n", 100 * p / g }'
if [ -n "${speed[pflogsumm]:-}" ]; then
  awk -v p="${speed[postls]}" -v f="${speed[pflogsumm]}" 'BEGIN { printf "postls / pflogsumm: %.1fx (target >= 20x)\n", p / f }'
fi

# postls reads regular files one chunk ahead on a thread of its own (postls-read). On a machine with a free core its
# wall time approaches the analysing thread's CPU time; on a busy one (or a 1-CPU share) it cannot. With perf
# installed, show the CPU split per thread from a sampled run.
if command -v perf > /dev/null; then
  pdata=$(mktemp)
  # perf passes on postls's exit status (1 when it found failures): look at the data instead.
  perf record -q -e task-clock -F 5000 -o "$pdata" -- "$postls" logs --json "$log" > /dev/null 2>&1 || true
  if [ -s "$pdata" ]; then
    # The main thread (tid = pid) analyses; the reading thread names itself postls-read once it runs (its first
    # samples may carry the process's name).
    perf script -i "$pdata" -F comm,pid,tid,period 2>/dev/null | tr '/' ' ' | awk '
      { k = ($2 == $3) ? "analysing" : ($1 == "postls-read" || $1 == "postls" ? "reading" : $1); s[k] += $4; t += $4 }
      END { for (k in s) printf "postls %-9s thread: %6.3f s CPU (%.0f%%, perf samples)\n", k, s[k] / 1e9, 100 * s[k] / t }'
  fi
  rm -f "$pdata"
fi
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
}

if [ -n "${2:-}" ]; then
  bench "$2"
else
  # A log with 2% and one with 15% failing connections: the second sends many more lines through the
  # slow path (sessions, the message table, events).
  for ratio in ${BENCH_FAIL_RATIOS:-0.02 0.15}; do
    log="${TMPDIR:-/tmp}/postls-bench-${size_mb}MB-${ratio}.log"
    if [ ! -s "$log" ]; then
      echo "Generating a ${size_mb} MB log (real line shapes, ${ratio} of connections failing TLS) at $log ..." >&2
      python3 scripts/gen-maillog.py "$size_mb" "$ratio" > "$log"
    fi
    echo
    echo "=== $(awk -v r="$ratio" 'BEGIN { printf "%g", 100 * r }')% failing connections ==="
    bench "$log"
  done
fi
