#!/usr/bin/env bash
# Captures the built-in defaults of the installed Postfix into Resources/postfix/postconf-d-VERSION.txt:
# the full `postconf -d` (every parameter), read with an empty main.cf and the distribution's stock
# master.cf (so the per-transport parameters of the stock services are listed, and nothing of this
# machine's own configuration). Values Postfix computes on the host (Resources/postfix/computed-parameters.txt)
# are written as `@computed`. Run scripts/generate-resources.sh afterwards.
#
#   scripts/capture-postconf-defaults.sh [POSTCONF]     (default: postconf from PATH)
#   scripts/capture-postconf-defaults.sh --root ROOT    (the postconf of a Debian root, e.g. from
#                                                        scripts/debian-root.sh trixie; needs root)
#
# With --root the root is not written to: postconf runs chrooted in a private mount namespace with a
# tmpfs on the root's /tmp holding the throwaway configuration.
set -euo pipefail
cd "$(dirname "$0")/.."

ROOT=
if [ "${1:-}" = --root ]; then ROOT=${2:?--root needs a directory}; set -- postconf; fi
POSTCONF=${1:-postconf}
MASTER_CF=${MASTER_CF:-$ROOT/usr/share/postfix/master.cf.dist}
[ -f "$MASTER_CF" ] || MASTER_CF=$ROOT/etc/postfix/master.cf

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
: > "$dir/main.cf"
cp "$MASTER_CF" "$dir/master.cf"
touch -d '-1 minute' "$dir/main.cf" "$dir/master.cf"   # postconf waits ~2 s on a just-modified main.cf

# postconf -c DIR ARGS..., on the host or inside ROOT.
run_postconf() {
    if [ -z "$ROOT" ]; then "$POSTCONF" -c "$dir" "$@"; return; fi
    unshare -m --propagation private sh -ec 'root=$1 dir=$2; shift 2
        mount -t tmpfs tmpfs "$root/tmp"; mkdir "$root/tmp/config"; cp -p "$dir"/main.cf "$dir"/master.cf "$root/tmp/config/"
        exec chroot "$root" postconf -c /tmp/config "$@"' sh "$ROOT" "$dir" "$@"
}

version=$(run_postconf -dh mail_version)
out="Resources/postfix/postconf-d-$version.txt"
package=$(dpkg-query ${ROOT:+--admindir="$ROOT/var/lib/dpkg"} -W -f '${Package} ${Version}' postfix 2>/dev/null || echo "postfix (not from a Debian package)")
system=$(. "$ROOT/etc/os-release" 2>/dev/null && echo "$PRETTY_NAME" || echo "unknown system")

computed=$(grep -v '^#' Resources/postfix/computed-parameters.txt | grep -v '^$' | paste -sd'|')
{
    echo "# postconf -d of Postfix $version ($package, $system), captured by scripts/capture-postconf-defaults.sh"
    echo "# with an empty main.cf and the distribution's stock master.cf. Host-dependent values: @computed."
    run_postconf -d | sed -E "s/^($computed) = .*\$/\\1 = @computed/"
} > "$out.tmp"
mv "$out.tmp" "$out"
echo "$out: $(grep -vc '^#' "$out") parameters"
