#!/bin/sh
# Drives the wizard in tmux as a person would and saves each step's screen (capture-pane) to
# docs/screens/. Usage: scripts/capture-screens.sh [COMMAND...]; default: `postls demo` (the real
# engines on the bundled demo, in a temporary directory). `.build/debug/postls-tui-bench --try-demo`
# shows the canned DemoStates data instead.
set -eu
cd "$(dirname "$0")/.."
if [ $# -eq 0 ]; then
    swift build --product postls >/dev/null
    set -- "$PWD/.build/debug/postls" demo
fi
out=docs/screens
mkdir -p "$out"
session="postls-screens-$$"
tmux new-session -d -s "$session" -x 80 -y 24 "env LANG=C.UTF-8 TERM=xterm-256color $*; sleep 5"
trap 'tmux kill-session -t "$session" 2>/dev/null || true' EXIT
keys() { tmux send-keys -t "$session" "$@"; sleep 0.4; }
shot() { tmux capture-pane -p -t "$session" > "$out/$1.txt"; }
sleep 10                      # let the startup work finish (probes, logs)
shot 1-overview
keys 2; shot 2-config
keys Enter; shot 2-config-file; keys Escape
keys 3; shot 3-probe
keys 4; keys Down Down; shot 4-logs
keys Enter; shot 4-logs-event; keys Escape
keys / l e g a c y; shot 4-logs-search; keys Enter
keys 5; keys Down; shot 5-fixes
keys Enter; shot 5-fixes-confirm
keys y; sleep 3; shot 6-apply
keys 7; shot 7-report
keys '?'; shot 7-report-help; keys Escape
keys 8; shot 8-dns
keys '?'; shot 8-dns-help; keys Escape
keys q
echo "screens written to $out/"
