#!/usr/bin/env bash
# Installs (when missing) Debian's Chromium and ChromeDriver for the dashboard's browser test
# (tests/binary/dashboard.rs), which starts its own chromedriver on a loopback port. Progress
# goes to stderr. Needs root (apt).
set -euo pipefail

if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
    exit 0
fi
echo "chromium.sh: installing chromium and chromium-driver" >&2
apt=(apt-get install -y -q --no-install-recommends chromium chromium-driver)
# A fresh machine's package lists may be missing or stale.
"${apt[@]}" >&2 || { apt-get update -q >&2 && "${apt[@]}" >&2; }
