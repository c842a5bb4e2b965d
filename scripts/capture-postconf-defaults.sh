#!/usr/bin/env bash
# Captures the built-in defaults of the installed Postfix into Resources/postfix/postconf-d-VERSION.txt:
# the full `postconf -d` (every parameter), read with an empty main.cf and the distribution's stock
# master.cf (so the per-transport parameters of the stock services are listed, and nothing of this
# machine's own configuration). Values Postfix computes on the host (Resources/postfix/computed-parameters.txt)
# are written as `@computed`. Run scripts/generate-resources.sh afterwards.
#
#   scripts/capture-postconf-defaults.sh [POSTCONF]     (default: postconf from PATH)
#
set -euo pipefail
cd "$(dirname "$0")/.."

POSTCONF=${1:-postconf}
MASTER_CF=${MASTER_CF:-/usr/share/postfix/master.cf.dist}
[ -f "$MASTER_CF" ] || MASTER_CF=/etc/postfix/master.cf

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
: > "$dir/main.cf"
cp "$MASTER_CF" "$dir/master.cf"
touch -d '-1 minute' "$dir/main.cf" "$dir/master.cf"   # postconf waits ~2 s on a just-modified main.cf

version=$("$POSTCONF" -c "$dir" -dh mail_version)
out="Resources/postfix/postconf-d-$version.txt"
package=$(dpkg-query -W -f '${Package} ${Version}' postfix 2>/dev/null || echo "postfix (not from a Debian package)")
system=$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME" || echo "unknown system")

computed=$(grep -v '^#' Resources/postfix/computed-parameters.txt | grep -v '^$' | paste -sd'|')
{
    echo "# postconf -d of Postfix $version ($package, $system), captured by scripts/capture-postconf-defaults.sh"
    echo "# with an empty main.cf and the distribution's stock master.cf. Host-dependent values: @computed."
    "$POSTCONF" -c "$dir" -d | sed -E "s/^($computed) = .*\$/\\1 = @computed/"
} > "$out.tmp"
mv "$out.tmp" "$out"
echo "$out: $(grep -vc '^#' "$out") parameters"
