#!/usr/bin/env bash
# Regenerate every figure: set up .venv if needed, then execute notebooks/*.ipynb with papermill and
# build the static report in build/report/<profile>/ (open its index.html).
#   ./run_all.sh [--profile smoke|default|paper] [-p NAME VALUE ...] [--only 01 02] [--jobs N|auto]
#   ./run_all.sh [--profile ...] --report-only       # rebuild the report from what is executed; runs nothing
#   ./run_all.sh --from-figures                     # every notebook and the report from figures/; trains nothing
#   ./run_all.sh --help
# Every notebook runs even if one fails; a summary follows and the exit code is non-zero on any failure.
# The default profile runs notebooks 01-04 and 07 on the generated faces and again on the vendored Adult table
# (figures/<notebook>-adult/); -p table my.csv runs them on your table instead (figures/<notebook>-file-my/).
set -euo pipefail
# A relative file path in a parameter (-p table my.csv) is found from where you started (fairgap.tabular).
export FAIRGAP_INVOKED_FROM="${FAIRGAP_INVOKED_FROM:-$PWD}"
cd "$(dirname "$0")"
# Arguments are checked before the environment is created or updated: a typo fails in seconds, not after
# an install. The runner's top level needs only the standard library, so the system Python can check them.
_py="${PYTHON:-python3}"
if command -v "$_py" >/dev/null 2>&1 && "$_py" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
  PYTHONPATH="$PWD/src" "$_py" -B -m fairgap.run_notebooks --check-arguments "$@" || exit $?
  for _arg in "$@"; do case "$_arg" in -h|--help) exit 0 ;; esac; done   # the help was printed
fi
source scripts/bootstrap.sh ""   # no extras; an explicit argument keeps "$@" from leaking in
exec "$FAIRGAP_PYTHON" -m fairgap.run_notebooks "$@"
