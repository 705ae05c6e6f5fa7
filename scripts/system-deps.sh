#!/usr/bin/env bash
# Installs the Debian packages daicho needs, only when they are missing (quiet and fast when all
# are there). `system-deps.sh build`: only what `pip install` needs to build python-ldap (for
# django-auth-ldap); without an argument: that and what the tests need.
set -euo pipefail
need=()
[ -f /usr/include/ldap.h ] || need+=(libldap2-dev)
[ -f /usr/include/sasl/sasl.h ] || need+=(libsasl2-dev)
command -v cc >/dev/null 2>&1 || need+=(gcc libc6-dev)
py_include=$("${PYTHON:-python3}" -c 'import sysconfig; print(sysconfig.get_paths()["include"])' 2>/dev/null || true)
[ -f "$py_include/Python.h" ] || need+=(python3-dev)
if [ "${1:-all}" != build ]; then
  [ -x /usr/sbin/slapd ] || need+=(slapd)
  command -v ldapmodify >/dev/null 2>&1 || need+=(ldap-utils)
  command -v openssl >/dev/null 2>&1 || need+=(openssl)
  command -v /usr/lib/postgresql/15/bin/initdb >/dev/null 2>&1 || [ -x "$(command -v initdb || true)" ] || need+=(postgresql postgresql-contrib)
  command -v mdb-tables >/dev/null 2>&1 || need+=(mdbtools)
  command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)  # the print tests read the PDF back
  command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need+=(chromium)
  [ -f /usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf ] || [ -f /usr/share/fonts/truetype/fonts-japanese-gothic.ttf ] || need+=(fonts-ipaexfont-gothic)
  # Print forms (帳票) to PDF: LibreOffice headless, and the 明朝 that official notices are set in.
  command -v soffice >/dev/null 2>&1 || need+=(libreoffice-calc-nogui)
  [ -f /usr/share/fonts/opentype/ipaexfont-mincho/ipaexm.ttf ] || need+=(fonts-ipaexfont-mincho)
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "installing Debian packages: ${need[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
