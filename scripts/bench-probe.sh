#!/bin/bash
# Benchmark: postls probe vs sslyze vs testssl.sh, side by side in one run against the same real
# Postfix 3.7 on loopback (a throwaway instance; needs root). Reports wall time and the number of
# connections each tool opened (counted from Postfix's own "connect from" log lines).
#
#   scripts/bench-probe.sh            # builds postls in release mode first
#   POSTLS=.build/release/postls SKIP_BUILD=1 scripts/bench-probe.sh
#
# Needs: postfix, openssl, sslyze (pip install sslyze), testssl.sh (apt-get install testssl.sh; Debian names it testssl).
# A tool that is missing is reported as such, not silently skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
PORT=${PORT:-$((20000 + RANDOM % 20000))}
POSTLS=${POSTLS:-.build/release/postls}
DIR=$(mktemp -d /tmp/postls-bench-XXXXXX)
trap 'scripts/postfix-throwaway.sh stop "$DIR"; rm -rf "$DIR"' EXIT

if [ -z "${SKIP_BUILD:-}" ]; then
    swift build -c release --product postls >&2
fi
scripts/postfix-throwaway.sh start "$DIR" "$PORT"
LOG=$DIR/log/maillog

connects() { grep -c ' connect from ' "$LOG" 2>/dev/null || true; }
now_ms() { date +%s%3N; }
# postlogd writes asynchronously: wait until the count stops moving.
settle() { local a b; a=$(connects); while sleep 0.3; b=$(connects); [ "$a" != "$b" ]; do a=$b; done; echo "$b"; }

# run NAME CMD...: runs the command RUNS times (1 for the slow tools), prints median ms and connections per run.
results=()
run() {
    local name=$1; shift
    local runs=$RUNS; [ "$name" != postls ] && runs=${SLOW_RUNS:-1}
    if ! command -v "$1" >/dev/null 2>&1 && [ ! -x "$1" ]; then
        results+=("$(printf '%-12s %10s %12s   %s' "$name" "-" "-" "not installed")")
        return
    fi
    local times=() before after conns=0 start end
    for _ in $(seq "$runs"); do
        before=$(settle)
        start=$(now_ms)
        "$@" >"$DIR/$name.out" 2>&1 || true
        end=$(now_ms)
        after=$(settle)
        times+=($((end - start)))
        conns=$((after - before))
    done
    local median
    median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    results+=("$(printf '%-12s %10s %12s   %s' "$name" "$median" "$conns" "$*")")
    eval "ms_$name=$median"
}

run postls "$POSTLS" probe 127.0.0.1 --port "$PORT" --name mail.postls.test --ca-file "$DIR/pki/ca.pem" --json
run sslyze sslyze --tlsv1 --tlsv1_1 --tlsv1_2 --tlsv1_3 --certinfo --starttls smtp "127.0.0.1:$PORT"
# Debian installs testssl.sh as "testssl".
TESTSSL=$(command -v testssl.sh || command -v testssl || echo testssl.sh)
run testssl "$TESTSSL" -p -S --starttls smtp --nodns none --color 0 --warnings off "127.0.0.1:$PORT"

echo
echo "Postfix $(postconf -h mail_version) on 127.0.0.1:$PORT (STARTTLS), $(openssl version | cut -d' ' -f1-2), $(nproc) CPUs"
printf '%-12s %10s %12s   %s\n' tool "wall ms" connections command
printf '%s\n' "${results[@]}"
if [ -n "${ms_postls:-}" ]; then
    [ -n "${ms_sslyze:-}" ] && echo "sslyze / postls:  $(awk "BEGIN {printf \"%.1f\", ${ms_sslyze} / ${ms_postls}}")x"
    [ -n "${ms_testssl:-}" ] && echo "testssl / postls: $(awk "BEGIN {printf \"%.1f\", ${ms_testssl} / ${ms_postls}}")x"
fi
# Show that postls saw what the others saw.
echo
echo "postls result:"; grep -E '"TLSv1|"protocol"|"cipher"|"code"|"connections"' "$DIR/postls.out" || true
echo "testssl.sh protocols:"; grep -E '^ *(SSLv|TLS ?1)' "$DIR/testssl.out" | head -8 || true
