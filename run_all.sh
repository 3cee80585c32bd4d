#!/usr/bin/env bash
# Regenerate every figure: set up .venv if needed, then execute notebooks/*.ipynb in order with papermill.
#   ./run_all.sh [--profile smoke|default|paper] [-p NAME VALUE ...] [--only 01 02]
# Every notebook runs even if one fails; a summary follows and the exit code is non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/bootstrap.sh ""   # no extras; an explicit argument keeps "$@" from leaking in
exec "$FAIRGAP_PYTHON" -m fairgap.run_notebooks "$@"
