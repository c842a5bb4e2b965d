#!/usr/bin/env bash
# Prints the path of a minimal Debian root (mmdebstrap --variant=apt) for SUITE (bookworm or trixie) with
# Postfix, Dovecot, OpenSSL, CA certificates, tmux and Cyrus SASL's mechanisms (libsasl2-2 only recommends them:
# without them a submission service with smtpd_sasl_auth_enable sends no greeting, as on the host; see
# scripts/test-packages.txt), building it on first use. Roots are cached under
# $POSTLS_ROOT_CACHE (default /var/cache/postls-test/roots) in a folder named after the suite and a hash of
# what goes in (packages, debconf answers, this script's recipe), so a changed package set builds a new root
# and an unchanged one is reused. A root is built in a temporary folder beside the cache and renamed into
# place when complete: an interrupted build never leaves a half root that a later run would trust.
#
# Treat a cached root as read-only: copy it (scripts/test-install.sh does) before starting anything in it.
# Needs root and mmdebstrap (Debian package). Usage: scripts/debian-root.sh [--cached] bookworm|trixie
# With --cached it only prints the path of a complete cached root, or exits 1 without building (the test harness's
# DebianRoot asks this way).
set -euo pipefail

cached_only=no
if [ "${1:-}" = "--cached" ]; then cached_only=yes; shift; fi
suite=${1:?usage: debian-root.sh [--cached] SUITE (bookworm or trixie)}
case "$suite" in bookworm|trixie) ;; *) echo "debian-root.sh: unknown suite $suite (bookworm or trixie)" >&2; exit 2 ;; esac

cache=${POSTLS_ROOT_CACHE:-/var/cache/postls-test/roots}
packages=postfix,dovecot-core,dovecot-imapd,openssl,ca-certificates,tmux,libsasl2-modules
# "Local only": Postfix listens on loopback only and delivers nothing off the machine.
debconf="postfix postfix/main_mailer_type select Local only
postfix postfix/mailname string postls.test"
recipe=2  # bump when the mmdebstrap call below changes in a way the package set does not show

key=$(printf '%s\n%s\n%s\n%s\n' "$suite" "$packages" "$debconf" "$recipe" | sha256sum | cut -c1-12)
root="$cache/$suite-$key"
if [ -x "$root/usr/sbin/postfix" ] && [ -f "$root/.postls-root-complete" ]; then
  echo "$root"
  exit 0
fi
[ "$cached_only" = no ] || exit 1
[ "$(id -u)" -eq 0 ] || { echo "debian-root.sh: needs root (mmdebstrap, chroot)" >&2; exit 2; }
command -v mmdebstrap >/dev/null || { echo "debian-root.sh: mmdebstrap missing (apt-get install mmdebstrap)" >&2; exit 2; }

mkdir -p "$cache"
work=$(mktemp -d "$cache/.building-$suite.XXXXXX")
answers=$(mktemp)
trap 'rm -rf "$work" "$answers"' EXIT
printf '%s\n' "$debconf" > "$answers"

echo "Building the $suite root (about a minute from Debian's mirror)..." >&2
# The package lists stay (cleanup/apt/lists skipped): apt inside the root can then resolve a local .deb's
# Depends without an update. The essential hook answers Postfix's questions before it is installed.
mmdebstrap --quiet --variant=apt --include="$packages" --skip=cleanup/apt/lists \
  --essential-hook="chroot \"\$1\" debconf-set-selections < $answers" \
  "$suite" "$work/root" >&2
touch "$work/root/.postls-root-complete"
# Renaming is atomic; if another run finished the same root meanwhile, keep theirs.
if ! mv -T "$work/root" "$root" 2>/dev/null; then
  [ -f "$root/.postls-root-complete" ] || { echo "debian-root.sh: cannot move the root to $root" >&2; exit 1; }
fi
echo "$root"
