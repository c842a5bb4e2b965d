#!/usr/bin/env bash
# Builds the self-contained release binary (the Swift runtime linked statically) and prints its path.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --static-swift-stdlib --scratch-path .build-release --product postls >&2
echo "$PWD/.build-release/release/postls"
