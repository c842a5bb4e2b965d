#!/usr/bin/env bash
# Installs a postls .deb in minimal Debian 12 and 13 roots that have no Swift (scripts/debian-root.sh), starts
# the root's Postfix on a free loopback port, and runs the commands a mail admin runs, each checked against the
# exit codes the README documents. JSON outputs are kept in dist/install-test/SUITE/ and validated against
# docs/json/<command>.schema.json when that schema exists. Ends with "N passed, N failed"; exits 1 on a failure.
#
# Needs root, mmdebstrap, and python3-jsonschema for the schema step. POSTLS_INSTALL_SUITES picks the suites
# (default "bookworm trixie"). Usage: scripts/test-install.sh dist/postls_VERSION_amd64.deb
set -euo pipefail
cd "$(dirname "$0")/.."

deb=$(readlink -f "${1:?usage: test-install.sh dist/postls_VERSION_amd64.deb}")
[ -f "$deb" ] || { echo "test-install.sh: no such package: $1" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "test-install.sh: needs root (chroot, mounts)" >&2; exit 2; }
suites=${POSTLS_INSTALL_SUITES:-bookworm trixie}
results=dist/install-test
passed=0
failed=0

# Every mount and copy this script makes, undone on every exit path.
work=""
root=""
cleanup() {
  if [ -n "$root" ] && [ -d "$root" ]; then
    [ -x "$root/usr/sbin/postfix" ] && chroot "$root" postfix stop >/dev/null 2>&1 || true
    chroot "$root" tmux kill-server >/dev/null 2>&1 || true
    for m in tmp dev proc; do
      if mountpoint -q "$root/$m"; then umount -R "$root/$m" 2>/dev/null || umount -R -l "$root/$m"; fi
    done
    if mountpoint -q "$root"; then umount "$root" 2>/dev/null || umount -l "$root"; fi
  fi
  if [ -n "$work" ] && [ -d "$work" ]; then
    # Never delete through a mount that is still there (a bound /dev would take the host's with it).
    if findmnt -rn -o TARGET | grep -q "^$work"; then
      echo "test-install.sh: mounts left under $work, not deleting it" >&2
    else
      rm -rf --one-file-system "$work"
    fi
  fi
  work=""; root=""
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pass() { passed=$((passed + 1)); echo "ok   $suite: $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $suite: $1" >&2; }

# Runs a command inside the root; stdout to $out, stderr to $err; passes when the exit code is among $allowed.
# Usage: expect "name" "0 1" command args...
out="" ; err=""
expect() {
  local name=$1 allowed=$2; shift 2
  out="$results/$suite/$name.out"; err="$results/$suite/$name.err"
  local code=0
  chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 NO_COLOR=1 "$@" >"$out" 2>"$err" || code=$?
  if [[ " $allowed " == *" $code "* ]]; then
    pass "$name (exit $code)"
  else
    fail "$name: exit $code, expected one of: $allowed; stderr: $(head -c 600 "$err")"
  fi
}

# Validates $results/$suite/NAME.out against docs/json/SCHEMA.schema.json when the schema exists.
validate() {
  local name=$1 schema=docs/json/$2.schema.json
  if [ ! -f "$schema" ]; then
    fail "$name: no schema $schema for its JSON"
    return
  fi
  local message
  if message=$(/usr/bin/python3 - "$schema" "$results/$suite/$name.out" 2>&1 <<'EOF'
import json, os, sys
import jsonschema
from jsonschema import Draft202012Validator
# The schemas refer to each other by $id (common.schema.json): offer the folder's schemas to the resolver,
# never the network (as TestSupport's JSONSchemaValidator does).
schema_path, instance_path = sys.argv[1], sys.argv[2]
folder = os.path.dirname(schema_path)
store = {}
for name in sorted(os.listdir(folder)):
    if name.endswith(".schema.json"):
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            s = json.load(f)
            store[s["$id"]] = s
schema = json.load(open(schema_path))
instance = json.load(open(instance_path))
Draft202012Validator.check_schema(schema)
try:
    from referencing import Registry, Resource
    registry = Registry().with_resources([(k, Resource.from_contents(v)) for k, v in store.items()])
    validator = Draft202012Validator(schema, registry=registry)
except ImportError:
    validator = Draft202012Validator(schema, resolver=jsonschema.RefResolver.from_schema(schema, store=store))
errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
for e in errors[:5]:
    print("/".join(map(str, e.absolute_path)) or "(root)", ":", e.message[:300])
sys.exit(1 if errors else 0)
EOF
  ); then
    pass "$name JSON validates against $schema"
  else
    fail "$name JSON does not validate against $schema: $message"
  fi
}

free_port() {
  local port
  for _ in $(seq 1 100); do
    port=$(shuf -i 33000-39999 -n 1)
    ss -Htln "sport = :$port" | grep -q . || { echo "$port"; return; }
  done
  echo "test-install.sh: no free port" >&2; return 1
}

for suite in $suites; do
  mkdir -p "$results/$suite"
  rm -f "$results/$suite"/*
  base=$(bash scripts/debian-root.sh "$suite")
  work=$(mktemp -d "$(dirname "$base")/.install-$suite.XXXXXX")
  root="$work/root"
  # A throwaway root over the cached one: an overlay mount (instant; the cache stays untouched), else a copy.
  start=$(date +%s%N)
  mkdir -p "$work/upper" "$work/overlay-work" "$root"
  if mount -t overlay overlay -o "lowerdir=$base,upperdir=$work/upper,workdir=$work/overlay-work" "$root" 2>/dev/null; then
    how="overlay mount"
  else
    cp -a --reflink=auto "$base/." "$root"
    how="copy"
  fi
  echo "     $suite: throwaway root ($how of $base) in $(( ($(date +%s%N) - start) / 1000000 )) ms"
  mount -t proc proc "$root/proc"
  mount --rbind /dev "$root/dev"
  mount --make-rslave "$root/dev"
  mount -t tmpfs tmpfs "$root/tmp"
  # apt must not start services inside the root.
  printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"; chmod 0755 "$root/usr/sbin/policy-rc.d"

  # The package, installed the way an admin does: apt pulls its Depends from Debian's registry.
  cp "$deb" "$root/tmp/"
  if chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "/tmp/$(basename "$deb")" \
       >"$results/$suite/apt-install.log" 2>&1; then
    pass "apt-get install $(basename "$deb")"
  else
    fail "apt-get install: $(tail -n 5 "$results/$suite/apt-install.log")"
    cleanup; continue
  fi
  missing_files=""
  for f in /usr/bin/postls /usr/share/man/man1/postls.1.gz /usr/share/bash-completion/completions/postls \
           /usr/share/zsh/vendor-completions/_postls /usr/share/fish/vendor_completions.d/postls.fish \
           /usr/lib/systemd/system/postls-check.service /usr/lib/systemd/system/postls-check.timer \
           /usr/share/doc/postls/copyright /usr/share/doc/postls/changelog.Debian.gz \
           /usr/share/doc/postls/CAUSES.md /usr/share/doc/postls/json/diagnose.schema.json \
           /usr/share/doc/postls/json/common.schema.json; do
    [ -e "$root$f" ] || missing_files="$missing_files $f"
  done
  if [ -z "$missing_files" ]; then pass "the package's files are in place"; else fail "not installed:$missing_files"; fi
  # Installed, not enabled: no timers.target.wants link.
  if [ -e "$root/etc/systemd/system/timers.target.wants/postls-check.timer" ]; then
    fail "postls-check.timer was enabled by the installation"
  else
    pass "postls-check.timer installed, not enabled"
  fi
  # No toolchain in the root: every library the binary loads is the root's own, none from the Swift toolchain.
  if [ -e "$root/opt/swift" ] || chroot "$root" sh -c 'command -v swift' >/dev/null 2>&1; then
    fail "the Swift toolchain is visible inside the root"
  else
    pass "no Swift toolchain in the root"
  fi
  expect ldd "0" ldd /usr/bin/postls
  if grep -q 'not found\|/opt/swift\|libswift\|libFoundation\|libdispatch' "$out"; then
    fail "ldd /usr/bin/postls: $(grep 'not found\|/opt/swift\|libswift\|libFoundation\|libdispatch' "$out" | paste -sd' ')"
  else
    pass "ldd shows only the root's libraries: $(awk '{print $1}' "$out" | paste -sd' ')"
  fi

  # The root's Postfix on a free loopback port (the host's Postfix and test instances keep theirs), with a
  # self-signed certificate for postls.test, services unchrooted (postfix start does not populate a chroot).
  port=$(free_port)
  chroot "$root" openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
    -subj /CN=postls.test -addext subjectAltName=DNS:postls.test \
    -keyout /etc/postfix/postls-test.key -out /etc/postfix/postls-test.crt >/dev/null 2>&1
  # postconf pauses about 2.4 s after a recent edit of its files: back-date them after each edit.
  pc() { chroot "$root" postconf "$@"; touch -d '-1 minute' "$root/etc/postfix/main.cf" "$root/etc/postfix/master.cf"; }
  pc -X smtpd_tls_cert_file smtpd_tls_key_file
  pc -e "smtpd_tls_chain_files = /etc/postfix/postls-test.key, /etc/postfix/postls-test.crt" \
    "smtpd_tls_security_level = may" "maillog_file = /var/log/mail.log" "myhostname = postls.test"
  pc -MX smtp/inet
  pc -Me "$port/inet = $port inet n - n - - smtpd"
  mapfile -t unchroot < <(pc -F '*/*/chroot' | awk '$3 != "n" {print $1 " = n"}')
  [ ${#unchroot[@]} -eq 0 ] || pc -Fe "${unchroot[@]}"
  if chroot "$root" postfix start >"$results/$suite/postfix-start.log" 2>&1; then
    for _ in $(seq 1 50); do ss -Htln "sport = :$port" | grep -q . && break; sleep 0.1; done
    pass "Postfix $(chroot "$root" postconf -h mail_version) listens on 127.0.0.1:$port"
  else
    fail "postfix start: $(tail -n 5 "$results/$suite/postfix-start.log")"
  fi

  expect version "0" postls version
  grep -q "^postls " "$out" && pass "version names postls: $(head -n 1 "$out")" || fail "version output: $(head -n 3 "$out")"
  expect config "0 1 2" postls config --json
  validate config config
  expect probe "0 1 2" postls probe 127.0.0.1 --port "$port" --name postls.test --ca-file /etc/postfix/postls-test.crt --json
  validate probe probe
  expect diagnose "0 1 2" postls diagnose --host 127.0.0.1 --port "$port" --name postls.test \
    --ca-file /etc/postfix/postls-test.crt --log /var/log/mail.log --json
  validate diagnose diagnose
  # The monitoring plugin: a working listener with a certificate the CA file verifies is OK (0).
  expect check "0" postls check --host 127.0.0.1 --port "$port" --name postls.test --ca-file /etc/postfix/postls-test.crt
  grep -q "^POSTLS OK - " "$out" && pass "check says POSTLS OK" || fail "check output: $(head -n 2 "$out")"
  # Without the CA file the self-signed chain does not verify: WARNING (1).
  expect check-untrusted "1" postls check --host 127.0.0.1 --port "$port" --name postls.test
  # The shipped unit's command line, as systemd would run it (no systemd in a root), into the collector folder.
  mkdir -p "$root/var/lib/prometheus/node-exporter"
  unit_command=$(sed -n 's/^ExecStart=//p' "$root/usr/lib/systemd/system/postls-check.service")
  read -r -a unit_argv <<< "$unit_command"
  expect check-unit "0 1 2" "${unit_argv[@]}" --host 127.0.0.1 --port "$port"
  if grep -q '^postls_check_status [0-3]$' "$root/var/lib/prometheus/node-exporter/postls.prom" 2>/dev/null \
     && [ "$(stat -c %a "$root/var/lib/prometheus/node-exporter/postls.prom")" = 644 ]; then
    pass "postls-check.service's command wrote postls.prom (mode 644) with postls_check_status"
  else
    fail "postls-check.service's command left no valid /var/lib/prometheus/node-exporter/postls.prom"
  fi

  # The wizard's demo in a real terminal (tmux): its first screen is the Overview.
  chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 TERM=xterm-256color \
    tmux new-session -d -s postls -x 100 -y 30 postls demo
  screen=""
  for _ in $(seq 1 50); do
    screen=$(chroot "$root" tmux capture-pane -p -t postls 2>/dev/null || true)
    [[ "$screen" == *Overview* ]] && break
    sleep 0.1
  done
  printf '%s\n' "$screen" > "$results/$suite/demo.screen"
  if [[ "$screen" == *Overview* ]]; then pass "demo in tmux shows the Overview"; else fail "demo in tmux: no Overview on the first screen: $(echo "$screen" | head -n 5)"; fi
  chroot "$root" tmux kill-server >/dev/null 2>&1 || true

  cleanup
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
