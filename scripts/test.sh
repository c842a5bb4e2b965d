#!/usr/bin/env bash
# Installs what the test suite needs on Debian (non-interactively, as root or via sudo),
# then builds and runs the whole suite. This is the README's test command; .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."

# scripts/test-packages.txt is the one list: each package the tests use and what they use from it.
packages=()
checks=()
while read -r package rest; do
  case "$package" in ''|'#'*) continue ;; esac
  packages+=("$package")
  for word in $rest; do [ "$word" = "-" ] || checks+=("$package:$word"); done
done < scripts/test-packages.txt

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

# Preflight: every tool, module and file the tests use, by name, before a test fails on it later.
# Locally a missing piece is only reported (its tests skip); under CI it stops the run here.
absent=()
for check in "${checks[@]}"; do
  package=${check%%:*}; what=${check#*:}
  case "$what" in
    perl:*) perl -M"${what#perl:}" -e 1 2>/dev/null || absent+=("Perl module ${what#perl:} (package $package)") ;;
    py:*) /usr/bin/python3 -c "import ${what#py:}" 2>/dev/null || absent+=("Python module ${what#py:} (package $package)") ;;
    /*) [ -e "$what" ] || absent+=("$what (package $package)") ;;
    *) command -v "$what" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin" command -v "$what" >/dev/null 2>&1 \
         || absent+=("$what (package $package)") ;;
  esac
done
if [ ${#absent[@]} -gt 0 ]; then
  printf 'Missing test prerequisite: %s\n' "${absent[@]}" >&2
  case "${CI:-}" in ''|0|false) echo "(not CI: the tests that need them will skip)" >&2 ;; *) exit 1 ;; esac
fi

swift build --build-tests
# The scenario suites run against Debian 12's servers (the machine's) and Debian 13's, from the cached trixie root
# (TestSupport's Generation; built on first use, about a minute). Under CI a missing root fails those tests; locally
# they skip Debian 13 with a message unless the root is cached.
if case "${CI:-}" in ''|0|false) false ;; *) true ;; esac; then
  POSTLS_ROOT_TRIXIE=$(bash scripts/debian-root.sh trixie)
  export POSTLS_ROOT_TRIXIE
fi
# The postls processes the tests start record their probe windows here, not in the machine's /var/lib/postls.
probe_record_dir=$(mktemp -d "${TMPDIR:-/tmp}/postls-test-probes.XXXXXX")
trap 'rm -rf "$probe_record_dir"' EXIT
export POSTLS_PROBE_RECORD="${POSTLS_PROBE_RECORD:-$probe_record_dir/probes.jsonl}"
swift test --skip-build "$@"

# Under CI, the whole suite (no arguments) then builds the Debian package and installs it in Debian 12 and 13
# roots without Swift, running the commands there (docs/PACKAGING.md). The roots are cached in
# /var/cache/postls-test/roots: building them adds about 3 minutes the first time (mmdebstrap; 6 under heavy load);
# warm, packaging and installing take about a minute.
if [ $# -eq 0 ] && case "${CI:-}" in ''|0|false) false ;; *) true ;; esac; then
  deb=$(bash scripts/package-deb.sh | tail -n 1)
  bash scripts/test-install.sh "$deb"
fi

# The whole suite (no arguments, as CI runs it) ends with a short libFuzzer run of every parser: a release
# build with AddressSanitizer (2-3 minutes) and POSTLS_FUZZ_SECONDS (default 30) per target, from the seeds.
# A crash, timeout or out-of-memory input fails the run. POSTLS_FUZZ_SECONDS=0 skips it. docs/RELIABILITY.md.
fuzz_seconds=${POSTLS_FUZZ_SECONDS:-30}
if [ $# -eq 0 ] && [ "$fuzz_seconds" != 0 ]; then
  bash scripts/fuzz.sh "$fuzz_seconds"
fi
