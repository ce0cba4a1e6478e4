#!/usr/bin/env bash
# Refresh Swagger UI, which /docs serves from landrelease/api/docs_static/swagger-ui/.
# Installed from npm (swagger-ui-dist) and committed, so /docs loads nothing from a CDN and
# works offline; only the files /docs uses are kept, with the licence.
set -euo pipefail
SWAGGER_UI_VERSION="${SWAGGER_UI_VERSION:-5.35.0}"
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/landrelease/api/docs_static/swagger-ui"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm init -y >/dev/null
npm install --no-audit --no-fund --ignore-scripts "swagger-ui-dist@${SWAGGER_UI_VERSION}" >/dev/null
pkg="$work/node_modules/swagger-ui-dist"
rm -rf "$dest"
mkdir -p "$dest"
cp "$pkg/swagger-ui-bundle.js" "$pkg/swagger-ui.css" "$pkg/favicon-32x32.png" "$dest/"
cp "$pkg/LICENSE" "$dest/LICENSE"
[ -f "$pkg/NOTICE" ] && cp "$pkg/NOTICE" "$dest/NOTICE"
echo "swagger-ui-dist ${SWAGGER_UI_VERSION}" > "$dest/VERSION.txt"
ls -l "$dest"
