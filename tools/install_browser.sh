#!/usr/bin/env bash
# Installs what `make test-browser` needs on a Debian-based machine, non-interactively:
#   1. Debian's `chromium` package (apt-get) unless /usr/bin/chromium already exists —
#      as root directly, otherwise through sudo when it is available;
#   2. the exact pins of requirements/browser.txt (Playwright's Python client) into .venv.
# Playwright never downloads a browser of its own: the tests point it at /usr/bin/chromium.
# Usage: tools/install_browser.sh [path/to/venv/bin/python]   (default: .venv/bin/python)
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${1:-.venv/bin/python}"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

if [ ! -x "$PY" ]; then
    echo "install_browser.sh: $PY not found: create the course venv first (make install)" >&2
    exit 1
fi

if [ -x "$CHROMIUM" ]; then
    echo "install_browser.sh: using $($CHROMIUM --version 2>/dev/null || echo "$CHROMIUM")"
else
    if [ "$(id -u)" -eq 0 ]; then
        SUDO=()
    elif command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo -n)
    else
        echo "install_browser.sh: $CHROMIUM is missing and I am neither root nor have sudo:" >&2
        echo "  install it yourself with: apt-get install chromium" >&2
        exit 1
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "install_browser.sh: $CHROMIUM is missing and this is not a Debian-based system (no apt-get):" >&2
        echo "  install Chromium and run with CHROMIUM=/path/to/chromium" >&2
        exit 1
    fi
    echo "install_browser.sh: installing Debian's chromium with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    "${SUDO[@]}" apt-get update -qq
    "${SUDO[@]}" apt-get install -y -qq --no-install-recommends chromium >/dev/null
    if [ ! -x "$CHROMIUM" ]; then
        echo "install_browser.sh: apt-get installed chromium but $CHROMIUM does not exist" >&2
        exit 1
    fi
fi

"$PY" -m pip install --quiet --disable-pip-version-check -r requirements/browser.txt
"$PY" -c 'import playwright.sync_api' || { echo "install_browser.sh: playwright did not install" >&2; exit 1; }
echo "install_browser.sh: ready ($("$PY" -m pip show playwright 2>/dev/null | sed -n 's/^Version: /playwright /p'))"
