#!/usr/bin/env bash
# What the app and tests need from Debian: PostgreSQL (server binaries), Chromium, Pango (WeasyPrint's
# PDFs) and poppler-utils (the tests read PDFs back). Installs them when missing.
set -euo pipefail

have_postgres() { compgen -G "/usr/lib/postgresql/*/bin/initdb" > /dev/null; }
have_chromium() { [ -x "${CHROMIUM:-/usr/bin/chromium}" ]; }
have_pango() { ldconfig -p | grep -q "libpangoft2-1.0.so.0" && command -v pdftotext > /dev/null; }

if have_postgres && have_chromium && have_pango; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get > /dev/null; then
  echo "The tests need Debian's postgresql and chromium packages:" >&2
  echo "  sudo apt-get install -y postgresql chromium fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0 poppler-utils" >&2
  exit 1
fi
echo "Installing Debian packages: postgresql chromium pango poppler-utils ..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -q > /dev/null
apt-get install -y -q --no-install-recommends postgresql chromium fonts-dejavu-core \
  libpango-1.0-0 libpangoft2-1.0-0 poppler-utils > /dev/null
# The packaged cluster is not needed: the tests start their own server in a temporary folder.
have_postgres && have_chromium && have_pango
