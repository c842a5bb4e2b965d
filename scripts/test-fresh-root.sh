#!/usr/bin/env bash
# Runs the README's test command (CI=true) on a clean clone of HEAD inside a fresh, minimal Debian 12 root,
# with the host's Swift toolchain and package mirror bound in: what a new machine sees, so a package this
# machine got by hand cannot hide a missing install step. Root only; about 35 s for the root, then the suite.
# Usage: scripts/test-fresh-root.sh [extra environment, e.g. POSTLS_FUZZ_SECONDS=0]
set -euo pipefail
cd "$(dirname "$0")/.."
R=$(mktemp -d /var/tmp/postls-fresh-root.XXXXXX)
TC=$(dirname "$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")")
M=$(git config --get-regexp '^url\..*\.insteadof$' | head -1 | sed 's/^url\.\(.*\)\.insteadof .*/\1/' || true)
cleanup() {
  for m in "$R/tmp" "$R/dev" "$R/proc" ${M:+"$R$M"} "$R$TC" "$R"; do umount -R -l "$m" 2>/dev/null || true; done
  rm -rf --one-file-system "$R"
}
trap cleanup EXIT
mmdebstrap --quiet --variant=apt \
  --include=ca-certificates,git,binutils,libc6-dev,libcurl4-openssl-dev,libedit2,libgcc-12-dev,libpython3-dev,libsqlite3-0,libstdc++-12-dev,libxml2-dev,libz3-dev,pkg-config,tzdata,zlib1g-dev,python3,procps,iproute2 \
  bookworm "$R"
# The root a mount point of its own, as / is on a real machine: the Debian 13 harness's `unshare --mount
# --propagation private` cannot make a chroot's / private otherwise (EINVAL).
mount --bind "$R" "$R"
mkdir -p "$R$TC" "$R/src"; mount --bind "$TC" "$R$TC"
if [ -n "$M" ]; then mkdir -p "$R$M"; mount --bind "$M" "$R$M"; chroot "$R" git config --system "url.$M.insteadof" https://github.com/; fi
mount --bind /proc "$R/proc"; mount --rbind /dev "$R/dev"; mount -t tmpfs tmpfs "$R/tmp"
git clone -q . "$R/src"
start=$(date +%s)
status=0
chroot "$R" env -i HOME=/root TERM=xterm LANG=C.UTF-8 "PATH=$TC/usr/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" CI=true "$@" \
  bash -c 'cd /src && bash .ci/run' || status=$?
echo "fresh-root run: exit $status after $(( $(date +%s) - start )) s"
exit $status
