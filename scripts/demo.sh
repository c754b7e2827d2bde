#!/usr/bin/env bash
# The main job from a fresh machine: install, build, start a sandboxed motoko (`pillarsd demo`)
# with the admin pane; where a display and the Electron binary exist, the tray too.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run build
dir=${PILLARS_DEMO_DIR:-$HOME/.pillars-demo}
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && node -e "require('fs').accessSync(require('electron'))" 2>/dev/null; then
  node server/bin/pillarsd.js demo --dir "$dir" "$@" &
  server=$!
  trap 'kill $server 2>/dev/null' EXIT
  sleep 2
  PILLARS_DEMO_DIR="$dir" npx electron . || true
  wait $server
else
  echo "demo: no display or no Electron binary here: starting pillarsd only (the tray needs both)."
  exec node server/bin/pillarsd.js demo --dir "$dir" "$@"
fi
