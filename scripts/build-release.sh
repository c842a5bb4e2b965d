#!/usr/bin/env bash
# Builds the self-contained release binary: the Swift runtime and Foundation linked in statically
# (--static-swift-stdlib), the runtime data compiled in (Resources/ via scripts/generate-resources.py), so
# the one file runs on a mail server without Swift. Checks with ldd that it needs only libraries from
# Debian packages, then prints the binary's absolute path on stdout (everything else goes to stderr).
#
#   scripts/build-release.sh [SCRATCH_PATH]     (default .build-release)
set -euo pipefail
cd "$(dirname "$0")/.."

scratch=${1:-.build-release}
flags=(-c release --static-swift-stdlib --scratch-path "$scratch")

swift build "${flags[@]}" --product postls >&2
bin="$(swift build "${flags[@]}" --show-bin-path)/postls"
bin=$(readlink -f "$bin")

# Every shared library must come from a Debian package a mail server has anyway (libc6, libssl3/libssl3t64,
# libncursesw6/libtinfo6, zlib1g, libstdc++6, libgcc-s1); nothing from the toolchain's folder.
allowed='^(linux-vdso\.so\.1|/lib64/ld-linux-x86-64\.so\.2|ld-linux-x86-64\.so\.2|lib(c|m|dl|pthread|rt|util|resolv)\.so\.[0-9]+|libssl\.so\.3|libcrypto\.so\.3|libncursesw\.so\.6|libtinfo\.so\.6|libz\.so\.1|libstdc\+\+\.so\.6|libgcc_s\.so\.1)$'
unexpected=$(ldd "$bin" | awk '{print $1}' | grep -Ev "$allowed" || true)
if [ -n "$unexpected" ]; then
    echo "build-release: $bin needs libraries no Debian mail server has:" >&2
    echo "$unexpected" >&2
    exit 1
fi
echo "$bin"
