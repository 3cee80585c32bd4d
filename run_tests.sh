#!/usr/bin/env bash
# Run the test suite: set up .venv with the test extras if needed, then pytest (arguments pass through).
#   ./run_tests.sh [pytest arguments]      e.g. ./run_tests.sh tests/test_report.py -x -q -m "not slow"
set -euo pipefail
cd "$(dirname "$0")"
# Checked before the environment is created or updated, so that a typo fails in seconds: every test path
# given (an argument under tests/, ending in .py, or naming a test with ::) must exist. Everything else is
# pytest's to judge.
for _arg in "$@"; do
  case "$_arg" in
    -*) continue ;;
    tests|tests/*|*.py|*::*) ;;
    *) continue ;;
  esac
  _file="${_arg%%::*}"
  if [ ! -e "$_file" ]; then
    echo "error: no test file or folder '$_file' (from argument '$_arg')." >&2
    echo "Test files: $(cd tests && ls test_*.py | tr '\n' ' ')" >&2
    echo "Give paths relative to the checkout, e.g. ./run_tests.sh tests/test_report.py (or tests/test_x.py::test_name)." >&2
    exit 2
  fi
done
source scripts/bootstrap.sh test
bash scripts/install_browser.sh || echo "warning: scripts/install_browser.sh failed; the browser test may skip" >&2
exec "$FAIRGAP_PYTHON" -m pytest "$@"
