#!/usr/bin/env bash
# Builds dist/postls_<version>_amd64.deb from a self-contained release binary (docs/PACKAGING.md) and prints
# its path. Needs dpkg-dev (dpkg-shlibdeps) and binutils (strip). POSTLS_MAINTAINER overrides the Maintainer,
# POSTLS_HOMEPAGE sets a Homepage field.
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(sed -n 's/.*static let string = "\([^"]*\)".*/\1/p' Sources/PostlsCore/Version.swift)
[ -n "$version" ] || { echo "package-deb.sh: no version in Sources/PostlsCore/Version.swift" >&2; exit 1; }
revision=1
debversion="$version-$revision"
arch=$(dpkg --print-architecture)
maintainer=${POSTLS_MAINTAINER:-"postls developers <postls@users.noreply.github.com>"}
homepage=${POSTLS_HOMEPAGE:-}  # the project has no public address yet: no Homepage field unless one is given
# Reproducible dates (changelog, gzip): the last commit's time unless the caller sets SOURCE_DATE_EPOCH.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}

# The binary: the Swift runtime linked in (--static-swift-stdlib), so the package needs no toolchain.
if [ -f scripts/build-release.sh ]; then
  binary=$(bash scripts/build-release.sh | tail -n 1)
else
  swift build -c release --static-swift-stdlib --scratch-path .build-release --product postls >&2
  binary=$PWD/.build-release/release/postls
fi
[ -x "$binary" ] || { echo "package-deb.sh: no binary at $binary" >&2; exit 1; }
if ldd "$binary" | grep -q 'libswift\|libFoundation\|libdispatch\|not found'; then
  echo "package-deb.sh: $binary is not self-contained:" >&2; ldd "$binary" >&2; exit 1
fi

stage=$(mktemp -d "${TMPDIR:-/tmp}/postls-deb.XXXXXX")
trap 'rm -rf "$stage"' EXIT
root="$stage/postls"
doc="$root/usr/share/doc/postls"
install -d -m 0755 "$root/DEBIAN" "$doc"
install -D -m 0755 "$binary" "$root/usr/bin/postls"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/bin/postls"
install -d -m 0755 "$root/usr/share/man/man1"
gzip -9n < docs/man/postls.1 > "$root/usr/share/man/man1/postls.1.gz"
# bash-completion sources the file: no #! line (lintian bash-completion-with-hashbang).
install -d -m 0755 "$root/usr/share/bash-completion/completions"
sed '1{/^#!/d}' docs/completions/postls.bash > "$root/usr/share/bash-completion/completions/postls"
chmod 0644 "$root/usr/share/bash-completion/completions/postls"
install -D -m 0644 docs/completions/_postls "$root/usr/share/zsh/vendor-completions/_postls"
install -D -m 0644 docs/completions/postls.fish "$root/usr/share/fish/vendor_completions.d/postls.fish"
# The contracts scripts rely on: the JSON Schemas of every --json output and the cause vocabulary (man page, --help).
install -d -m 0755 "$doc/json"
install -m 0644 docs/json/*.json docs/json/README.md "$doc/json/"
install -m 0644 docs/CAUSES.md "$doc/CAUSES.md"
# Installed, not enabled: the package has no maintainer scripts (docs/PACKAGING.md, "Monitoring").
for unit in Resources/systemd/postls-check.service Resources/systemd/postls-check.timer; do
  install -D -m 0644 "$unit" "$root/usr/lib/systemd/system/$(basename "$unit")"
done

# /usr/share/doc/postls/copyright in the machine-readable format (DEP-5). The binary links in the Swift
# runtime, Foundation (with ICU) and swift-argument-parser statically, so their licenses are part of it.
{
  cat <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: postls

Files: *
Copyright: 2026 the postls authors
License: MIT

Files: swift-runtime/*
Copyright: 2014-2026 Apple Inc. and the Swift project authors
Comment: The Swift standard library, Foundation and Dispatch, linked statically into /usr/bin/postls.
License: Apache-2.0 with Runtime Library Exception

Files: swift-argument-parser/*
Copyright: 2020-2026 Apple Inc. and the Swift project authors
Comment: swift-argument-parser, linked statically into /usr/bin/postls.
License: Apache-2.0

Files: icu/*
Copyright: 2016-2024 Unicode, Inc. and others
Comment: ICU (code and data, icudt76), part of the toolchain's static Foundation, linked into /usr/bin/postls.
License: Unicode-3.0

License: MIT
EOF
  sed -n '3,$p' LICENSE | sed 's/^$/./; s/^/ /'
  cat <<EOF

License: Apache-2.0
 Licensed under the Apache License, Version 2.0 (the "License"); you may not use
 this software except in compliance with the License. You may obtain a copy of
 the License at https://www.apache.org/licenses/LICENSE-2.0
 .
 On Debian systems, the complete text of the Apache License, Version 2.0 can be
 found in /usr/share/common-licenses/Apache-2.0.

License: Unicode-3.0
 UNICODE LICENSE V3
 .
 COPYRIGHT AND PERMISSION NOTICE
 .
 Copyright © 2016-2024 Unicode, Inc.
 .
 NOTICE TO USER: Carefully read the following legal agreement. BY
 DOWNLOADING, INSTALLING, COPYING OR OTHERWISE USING DATA FILES, AND/OR
 SOFTWARE, YOU UNEQUIVOCALLY ACCEPT, AND AGREE TO BE BOUND BY, ALL OF THE
 TERMS AND CONDITIONS OF THIS AGREEMENT. IF YOU DO NOT AGREE, DO NOT
 DOWNLOAD, INSTALL, COPY, DISTRIBUTE OR USE THE DATA FILES OR SOFTWARE.
 .
 Permission is hereby granted, free of charge, to any person obtaining a
 copy of data files and any associated documentation (the "Data Files") or
 software and any associated documentation (the "Software") to deal in the
 Data Files or Software without restriction, including without limitation
 the rights to use, copy, modify, merge, publish, distribute, and/or sell
 copies of the Data Files or Software, and to permit persons to whom the
 Data Files or Software are furnished to do so, provided that either (a)
 this copyright and permission notice appear with all copies of the Data
 Files or Software, or (b) this copyright and permission notice appear in
 associated Documentation.
 .
 THE DATA FILES AND SOFTWARE ARE PROVIDED "AS IS", WITHOUT WARRANTY OF ANY
 KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF
 MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT OF
 THIRD PARTY RIGHTS.
 .
 IN NO EVENT SHALL THE COPYRIGHT HOLDER OR HOLDERS INCLUDED IN THIS NOTICE
 BE LIABLE FOR ANY CLAIM, OR ANY SPECIAL INDIRECT OR CONSEQUENTIAL DAMAGES,
 OR ANY DAMAGES WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS,
 WHETHER IN AN ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION,
 ARISING OUT OF OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THE DATA
 FILES OR SOFTWARE.
 .
 Except as contained in this notice, the name of a copyright holder shall
 not be used in advertising or otherwise to promote the sale, use or other
 dealings in these Data Files or Software without prior written
 authorization of the copyright holder.

License: Apache-2.0 with Runtime Library Exception
 Licensed under the Apache License, Version 2.0, with the Runtime Library
 Exception: "As an exception, if you use this Software to compile your source
 code and portions of this Software are embedded into the binary product as a
 result, you may redistribute such product without providing attribution as
 would otherwise be required by Sections 4(a), 4(b) and 4(d) of the License."
 .
 On Debian systems, the complete text of the Apache License, Version 2.0 can be
 found in /usr/share/common-licenses/Apache-2.0.
EOF
} > "$doc/copyright"
chmod 0644 "$doc/copyright"

# changelog.Debian: one entry per packaged version, dated by SOURCE_DATE_EPOCH.
{
  echo "postls ($debversion) unstable; urgency=medium"
  echo
  echo "  * Package postls $version: a self-contained binary (Swift runtime linked"
  echo "    statically), man page, bash/zsh/fish completions, and postls-check.timer"
  echo "    for node_exporter's textfile collector."
  echo
  echo " -- $maintainer  $(date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n > "$doc/changelog.Debian.gz"
chmod 0644 "$doc/changelog.Debian.gz" "$root/usr/share/man/man1/postls.1.gz"

# Depends: computed from the binary's ELF dependencies and Debian's symbols files (dpkg-shlibdeps), then
# widened so one package installs on Debian 12 and 13: Debian 13 renamed libssl3 to libssl3t64 (same soname).
mkdir -p "$stage/src/debian"
printf 'Source: postls\n\nPackage: postls\nArchitecture: any\n' > "$stage/src/debian/control"
shlibs=$(cd "$stage/src" && dpkg-shlibdeps -O "$root/usr/bin/postls" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || { echo "package-deb.sh: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
depends=$(echo "$shlibs" | tr ',' '\n' | sed 's/^ *//' | while read -r dep; do
  case "$dep" in
    libssl3\ *|libssl3) echo "$dep | libssl3t64" ;;
    *) echo "$dep" ;;
  esac
done | paste -sd, - | sed 's/,/, /g')

installed_size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<EOF
Package: postls
Version: $debversion
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $installed_size
Depends: $depends
Suggests: postfix, dovecot-core, prometheus-node-exporter
Section: mail
Priority: optional
${homepage:+Homepage: $homepage
}Description: diagnose and fix TLS on Postfix and Dovecot mail servers
 postls finds out why TLS fails on a Postfix (and Dovecot) mail server: it
 reads main.cf and master.cf, probes the listeners (STARTTLS and implicit
 TLS), reads the mail log, and joins what it finds into diagnoses that cite
 the parameter, file and line, with the fix. An ncurses wizard walks through
 the same steps and can apply the fixes safely (with a backup and a diff).
 .
 "postls check" is a Nagios/Icinga plugin and, with the shipped
 postls-check.timer (not enabled by default), writes metrics for
 prometheus-node-exporter's textfile collector.
EOF
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -print0 | sort -z | sed -z 's|^\./||' | xargs -0 md5sum) > "$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"
find "$root" -type d -exec chmod 0755 {} +

mkdir -p dist
deb="dist/postls_${debversion}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >&2
echo "$deb"
