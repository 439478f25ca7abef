#!/usr/bin/env bash
# Debian packages reportgen needs at run time (WeasyPrint's Pango, HarfBuzz's subsetter for fast CJK font
# embedding) and, with --test, the ones its tests drive for real (poppler-utils reads PDFs back, chromium shows
# the serve page). Other arguments are more packages. Installs what is missing when run as root; otherwise prints the command to run.
set -euo pipefail
packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0)
# soffice opens the workbook `init` writes; chromium runs the serve page; postgresql's server runs the archive tests;
# redis-server is the queue's broker in the worker tests
test_packages=(poppler-utils libreoffice-calc-nogui chromium postgresql redis-server)
for argument in "$@"; do
    if [ "$argument" = --test ]; then
        packages+=("${test_packages[@]}")
    else
        packages+=("$argument")
    fi
done
missing=()
for package in "${packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
((${#missing[@]})) || exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "reportgen needs: sudo apt-get install ${missing[*]}" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
