#!/bin/sh
# Time to first frame and keypress-to-frame of the wizard's Logs step with a million events.
# Release build of the benchmark target only; figures go to docs/BENCHMARKS.md.
set -eu
cd "$(dirname "$0")/.."
swift build -c release --product postls-tui-bench
exec .build/release/postls-tui-bench "${1:-1000000}"
