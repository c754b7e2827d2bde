#!/usr/bin/env bash
# The whole test suite from a fresh machine: install what is needed, then lint, type-check,
# build and run every test against the real components.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm test
