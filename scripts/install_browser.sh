#!/usr/bin/env bash
# Install Debian's Chromium (/usr/bin/chromium) for the browser test (tests/test_browser.py), if missing.
# Idempotent: does nothing when /usr/bin/chromium exists. Needs root and apt-get; without them it only
# warns (the browser test then skips with a reason), so it never fails the test run.
# Playwright's own browser download (`playwright install`) is never used: it cannot work offline here.
# Usage: scripts/install_browser.sh   (run_tests.sh calls it; FAIRGAP_SKIP_BROWSER_INSTALL=1 skips it)
# Log: $FAIRGAP_BROWSER_LOG, default ${TMPDIR:-/tmp}/fairgap-install-browser.log
set -uo pipefail

_chromium=/usr/bin/chromium
_log="${FAIRGAP_BROWSER_LOG:-${TMPDIR:-/tmp}/fairgap-install-browser.log}"

if [ -x "$_chromium" ] || [ "${FAIRGAP_SKIP_BROWSER_INSTALL:-0}" = "1" ]; then
  exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "warning: $_chromium is missing and cannot be installed here (needs root and apt-get);" \
       "the browser test will be skipped. Install Debian's 'chromium' package to run it." >&2
  exit 0
fi

echo "Installing Chromium for the browser test (apt-get; about a minute; log: $_log) ..."
_start=$(date +%s)
if DEBIAN_FRONTEND=noninteractive timeout 900 apt-get -o DPkg::Lock::Timeout=300 update -qq >"$_log" 2>&1 \
   && DEBIAN_FRONTEND=noninteractive timeout 900 apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends \
        chromium fonts-dejavu-core >>"$_log" 2>&1 \
   && [ -x "$_chromium" ]; then
  echo "Chromium installed in $(( $(date +%s) - _start )) s: $("$_chromium" --version 2>/dev/null || echo '?')"
else
  tail -n 15 "$_log" >&2
  echo "warning: installing Chromium failed (full log: $_log); the browser test will be skipped." >&2
fi
exit 0
