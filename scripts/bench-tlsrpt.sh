#!/usr/bin/env bash
# Benchmark of the TLS report reader: `postls tlsrpt DIR` over 10,000 gzip-compressed RFC 8460 reports (Google's and
# Microsoft's shapes, 30 days, 50 senders, a tenth with failures), timed with hyperfine (text and --json).
#
#   scripts/bench-tlsrpt.sh [COUNT] [DIR]      (default 10000 reports in $TMPDIR/postls-bench-tlsrpt-COUNT)
#
# Needs: python3 (generator), hyperfine (Debian package `hyperfine`). Builds postls in release mode.
set -euo pipefail
cd "$(dirname "$0")/.."

count="${1:-10000}"
dir="${2:-${TMPDIR:-/tmp}/postls-bench-tlsrpt-$count}"
command -v hyperfine > /dev/null || { echo "bench-tlsrpt: hyperfine is missing (apt-get install hyperfine)" >&2; exit 1; }

if [ ! -d "$dir" ] || [ "$(find "$dir" -name '*.json.gz' | wc -l)" -ne "$count" ]; then
  echo "Generating $count gzip reports in $dir ..." >&2
  rm -rf "$dir"; mkdir -p "$dir"
  python3 - "$count" "$dir" <<'PY'
import gzip, json, random, sys
count, out = int(sys.argv[1]), sys.argv[2]
rng = random.Random(8460)
types = ["certificate-host-mismatch", "starttls-not-supported", "certificate-expired", "sts-policy-fetch-error", "tlsa-invalid"]
for n in range(count):
    day = 1 + n % 30
    start = 1796083200 + (day - 1) * 86400
    sender = f"sender{n % 50}.example"
    domain = f"domain{n % 7}.test"
    google = n % 2 == 0
    failures = []
    if n % 10 == 0:
        for k in range(rng.randint(1, 3)):
            f = {"result-type": rng.choice(types), "failed-session-count": rng.randint(1, 20)}
            if google:
                f.update({"sending-mta-ip": f"209.85.{k}.{n % 250}", "receiving-ip": f"192.0.2.{k + 1}",
                          "receiving-mx-hostname": f"mx{k + 1}.{domain}"})
            failures.append(f)
    policy = {"policy-type": "sts", "policy-string": ["version: STSv1", "mode: testing", f"mx: mx1.{domain}", "max_age: 86400"],
              "policy-domain": domain}
    if google:
        policy["mx-host"] = [f"mx1.{domain}"]
    report = {"organization-name": sender, "date-range": {"start-datetime": f"2026-12-{day:02d}T00:00:00Z",
              "end-datetime": f"2026-12-{day:02d}T23:59:59Z"}, "contact-info": f"tlsrpt@{sender}",
              "report-id": f"{n}+{domain}",
              "policies": [{"policy": policy, "summary": {"total-successful-session-count": rng.randint(0, 5000),
                            "total-failure-session-count": sum(f["failed-session-count"] for f in failures)},
                            "failure-details": failures}]}
    name = f"{out}/{sender}!{domain}!{start}!{start + 86399}!{n}.json.gz"
    with open(name, "wb") as fh:
        fh.write(gzip.compress(json.dumps(report, indent=None if google else 2).encode(), mtime=0))
PY
fi

echo "Building postls (release) ..." >&2
swift build -c release --product postls >/dev/null
postls="$(swift build -c release --show-bin-path)/postls"
echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
# -i: failed sessions make postls exit 1. Output goes to /dev/null (-N: no shell).
hyperfine -N -i --warmup 1 --runs 10 "$postls tlsrpt $dir" "$postls tlsrpt --json $dir"
echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
