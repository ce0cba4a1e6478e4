#!/usr/bin/env bash
# Refresh the browser libraries the page serves from landrelease/web/static/vendor/.
# They are installed from npm at build time and committed, so `pip install` never needs npm
# and the page never loads anything from a CDN (it must work offline).
set -euo pipefail
MAPLIBRE_VERSION="${MAPLIBRE_VERSION:-5.24.1}"
root="$(cd "$(dirname "$0")/.." && pwd)"
vendor="$root/landrelease/web/static/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm init -y >/dev/null
npm install --no-audit --no-fund --ignore-scripts "maplibre-gl@${MAPLIBRE_VERSION}" >/dev/null
pkg="$work/node_modules/maplibre-gl"
mkdir -p "$vendor"
cp "$pkg/dist/maplibre-gl.js" "$pkg/dist/maplibre-gl.css" "$vendor/"
cp "$pkg/LICENSE.txt" "$vendor/maplibre-gl.LICENSE.txt"
echo "maplibre-gl ${MAPLIBRE_VERSION}" > "$vendor/VERSIONS.txt"
ls -l "$vendor"
