#!/usr/bin/env bash
# Installs the Debian packages the tests need, only when they are missing.
set -euo pipefail
need=()
command -v /usr/lib/postgresql/15/bin/initdb >/dev/null 2>&1 || [ -x "$(command -v initdb || true)" ] || need+=(postgresql postgresql-contrib)
command -v mdb-tables >/dev/null 2>&1 || need+=(mdbtools)
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need+=(chromium)
[ -f /usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf ] || [ -f /usr/share/fonts/truetype/fonts-japanese-gothic.ttf ] || need+=(fonts-ipaexfont-gothic)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing Debian packages: ${need[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
