#!/usr/bin/env bash
# Sourced by run_all.sh and run_tests.sh: create .venv with python3 -m venv and install the
# project into it with the exact versions of constraints.txt (the lock: pip install -c constraints.txt);
# reinstall only when pyproject.toml, the lock, FAIRGAP_UNLOCKED or the requested extras change.
# FAIRGAP_UNLOCKED=1 installs without the lock (the newest versions pyproject.toml's bounds allow).
# Update the lock from the installed .venv: .venv/bin/python -m pip freeze --all --exclude-editable > constraints.txt
# Usage: source scripts/bootstrap.sh EXTRAS   (always pass it, "" for none: a sourced script
# otherwise sees the caller's arguments)   -> sets $FAIRGAP_PYTHON
set -euo pipefail
FAIRGAP_ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_extras="${1:-}"
_venv="${FAIRGAP_VENV:-$FAIRGAP_ROOT_DIR/.venv}"
_python="${PYTHON:-python3}"

if ! command -v "$_python" >/dev/null 2>&1; then
  echo "error: $_python not found. Install Python 3.10 or newer (or set PYTHON=/path/to/python3)." >&2
  exit 2
fi
if ! "$_python" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
  echo "error: $("$_python" --version) is too old; fairgap needs Python 3.10 or newer (set PYTHON=...)." >&2
  exit 2
fi
if [ ! -x "$_venv/bin/python" ]; then
  echo "Creating virtual environment $_venv ..."
  "$_python" -m venv "$_venv"
fi
_lock="$FAIRGAP_ROOT_DIR/constraints.txt"
_constraints=()
if [ "${FAIRGAP_UNLOCKED:-0}" != "0" ]; then
  _locked="unlocked"
  _how="without the lock"
elif [ -f "$_lock" ]; then
  _constraints=(-c "$_lock")
  _locked="lock=$(sha256sum < "$_lock" | cut -c1-16)"
  _how="versions from constraints.txt"
else
  echo "error: the lock $_lock is missing; restore it or set FAIRGAP_UNLOCKED=1 to install without it." >&2
  exit 2
fi
_want="$( (cat "$FAIRGAP_ROOT_DIR/pyproject.toml"; echo "extras=$_extras"; echo "$_locked") | sha256sum | cut -c1-16)"
_stamp="$_venv/.fairgap-installed${_extras:+-$_extras}"
if [ "$(cat "$_stamp" 2>/dev/null || true)" != "$_want" ]; then
  echo "Installing fairgap${_extras:+[$_extras]} into $_venv ($_how; first time: a few minutes; torch is large) ..."
  _log="$_venv/install.log"
  _spec="$FAIRGAP_ROOT_DIR${_extras:+[$_extras]}"
  if ! { "$_venv/bin/python" -m pip install ${_constraints[@]+"${_constraints[@]}"} --upgrade pip \
         && "$_venv/bin/python" -m pip install ${_constraints[@]+"${_constraints[@]}"} -e "$_spec" \
         && "$_venv/bin/python" -m ipykernel install --sys-prefix --name fairgap --display-name "Python (fairgap)"; } \
       >"$_log" 2>&1; then
    tail -n 30 "$_log" >&2
    echo "error: installing the project failed; the full log is $_log" >&2
    if [ "$_locked" != unlocked ]; then
      echo "If the lock does not fit this Python or platform (constraints.txt was made with Python 3.11 on Linux" \
           "x86_64), FAIRGAP_UNLOCKED=1 installs without it." >&2
    fi
    exit 2
  fi
  echo "$_want" > "$_stamp"
fi
FAIRGAP_PYTHON="$_venv/bin/python"
export FAIRGAP_PYTHON
