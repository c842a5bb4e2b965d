#!/usr/bin/env bash
# Regenerates the man page (from the argument parser, via its generate-manual plugin) and the shell
# completions. Run after changing any command's options; CLITests fail when they are out of date.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p docs/man docs/completions
swift package --allow-writing-to-directory docs/man generate-manual --output-directory docs/man \
  --date "$(date -u +%Y-%m-%d)" --authors "the postls developers" >/dev/null
# A blank line in a command's discussion is an empty input line to groff (man --warnings, lintian): a paragraph.
sed -i 's/^$/.Pp/' docs/man/postls.1
swift build -c release --product postls >/dev/null
.build/release/postls --generate-completion-script bash > docs/completions/postls.bash
.build/release/postls --generate-completion-script zsh > docs/completions/_postls
.build/release/postls --generate-completion-script fish > docs/completions/postls.fish
echo "docs/man/postls.1, docs/completions/postls.bash, docs/completions/_postls, docs/completions/postls.fish"
