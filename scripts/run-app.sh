#!/usr/bin/env bash
# Sets everything up (scripts/setup.sh), then starts the gradviz app. Arguments go to gradviz.
set -euo pipefail
cd "$(dirname "$0")/.."
GRADVIZ_EXTRAS=test bash scripts/setup.sh
exec .venv/bin/gradviz "$@"
