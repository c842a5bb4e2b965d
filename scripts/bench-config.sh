#!/bin/sh
# Benchmark of the config engine: parse + expand + lint a generated 5,000-line main.cf.
# Not a test. Usage: scripts/bench-config.sh [runs]
# Builds release, then prints (1) the in-process engine figures from postls-config-bench (first run
# in a fresh process and the median of RUNS), the issue's target, (2) the phase times that
# `postls config --timing` reports, and (3) the whole command's time (hyperfine when installed,
# else a date +%s%N loop).
set -eu
cd "$(dirname "$0")/.."
RUNS=${1:-50}
swift build -c release --product postls >/dev/null
swift build -c release --product postls-config-bench >/dev/null
BIN=$(swift build -c release --show-bin-path)
POSTLS=$BIN/postls
DIR=$(mktemp -d /tmp/postls-bench-XXXXXX)
trap 'rm -rf "$DIR"' EXIT

# 5,000 lines shaped like a large real main.cf: settings with $references, comments,
# blank lines, continuation lines, duplicates, TLS settings.
awk 'BEGIN {
  print "myhostname = mx.bench.example"
  print "mydomain = bench.example"
  print "smtpd_tls_security_level = may"
  print "smtpd_tls_cert_file = /etc/ssl/bench/fullchain.pem"
  print "smtpd_tls_key_file = /etc/ssl/bench/privkey.pem"
  print "smtpd_tls_protocols = >=TLSv1"
  print "smtp_tls_security_level = may"
  n = 7
  i = 0
  while (n < 5000) {
    i++
    if (i % 7 == 0) { print "# comment " i " about the next settings"; n++; continue }
    if (i % 11 == 0) { print ""; n++; continue }
    if (i % 13 == 0) { print "u_list_" i " = first_" i ","; print "    second_" i ","; print "    $myhostname"; n += 3; continue }
    if (i % 17 == 0) { print "u_cond_" i " = ${u_ref_" (i-1) "?{set $u_ref_" (i-1) "}:{unset}}"; n++; continue }
    print "u_ref_" i " = $mydomain/" i " ${myhostname}"
    n++
  }
}' > "$DIR/main.cf"
cp /etc/postfix/master.cf "$DIR/master.cf" 2>/dev/null || printf 'smtp inet n - n - - smtpd\n' > "$DIR/master.cf"
touch -d '-1 minute' "$DIR/main.cf" "$DIR/master.cf"
echo "main.cf: $(wc -l < "$DIR/main.cf") lines, $(wc -c < "$DIR/main.cf") bytes"

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
"$BIN/postls-config-bench" "$DIR" "$RUNS"
echo
"$POSTLS" config --config-dir "$DIR" --json --timing > /dev/null 2> "$DIR/timing" || true
echo "postls config --timing (one run):"; sed 's/^/  /' "$DIR/timing"

if command -v hyperfine > /dev/null 2>&1; then
  hyperfine --warmup 2 --runs "$RUNS" -i "$POSTLS config --config-dir $DIR --json"
else
  start=$(date +%s%N)
  i=0
  while [ $i -lt "$RUNS" ]; do "$POSTLS" config --config-dir "$DIR" --json > /dev/null || true; i=$((i + 1)); done
  end=$(date +%s%N)
  echo "postls config --json: $(( (end - start) / RUNS / 1000000 )) ms per run (mean of $RUNS, whole process)"
fi
