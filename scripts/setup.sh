#!/usr/bin/env bash
# Installs what Pillars needs on this machine: Debian packages (as root; otherwise prints the
# apt line to run), then the npm dependencies from the lock file. Safe to run again: each step is
# skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/packages.sh

missing=()
for p in $PILLARS_APT_PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing ${missing[*]}"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
  else
    echo "setup: these Debian packages are missing. Run as root:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 2
  fi
fi

# npm ci only when the lock file changed since the last install (it rebuilds native modules).
stamp=node_modules/.pillars-setup-stamp
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: npm ci"
  # The Electron binary cannot be downloaded everywhere; the app's types come from the package.
  ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm ci
  echo "$want" > "$stamp"
fi
