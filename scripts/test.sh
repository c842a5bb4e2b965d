#!/usr/bin/env bash
# Installs what the test suite needs on Debian (non-interactively, as root or via sudo),
# then builds and runs the whole suite. This is the README's test command; .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."

# Everything the tests start or call for real. Keep in step with docs/ARCHITECTURE.md (Testing).
packages=(
  libssl-dev libncurses-dev zlib1g-dev pkg-config
  openssl ca-certificates
  postfix dovecot-core dovecot-imapd swaks tmux
)
# Extra packages an engine's tests need are listed one per line in scripts/test-packages.txt.
if [ -f scripts/test-packages.txt ]; then
  while read -r p; do [ -n "$p" ] && [ "${p#\#}" = "$p" ] && packages+=("$p"); done < scripts/test-packages.txt
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing test prerequisites: ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  # Postfix asks questions on install; answer them up front (a local-only server; tests never use it).
  echo "postfix postfix/main_mailer_type select Local only" | $sudo debconf-set-selections
  echo "postfix postfix/mailname string postls.test" | $sudo debconf-set-selections
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

swift build --build-tests
# The postls processes the tests start record their probe windows here, not in the machine's /var/lib/postls.
probe_record_dir=$(mktemp -d "${TMPDIR:-/tmp}/postls-test-probes.XXXXXX")
trap 'rm -rf "$probe_record_dir"' EXIT
export POSTLS_PROBE_RECORD="${POSTLS_PROBE_RECORD:-$probe_record_dir/probes.jsonl}"
swift test --skip-build "$@"

# The whole suite (no arguments, as CI runs it) ends with a short libFuzzer run of every parser: a release
# build with AddressSanitizer (2-3 minutes) and POSTLS_FUZZ_SECONDS (default 30) per target, from the seeds.
# A crash, timeout or out-of-memory input fails the run. POSTLS_FUZZ_SECONDS=0 skips it. docs/RELIABILITY.md.
fuzz_seconds=${POSTLS_FUZZ_SECONDS:-30}
if [ $# -eq 0 ] && [ "$fuzz_seconds" != 0 ]; then
  bash scripts/fuzz.sh "$fuzz_seconds"
fi
