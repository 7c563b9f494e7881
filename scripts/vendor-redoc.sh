#!/usr/bin/env bash
# Copies Redoc (pinned in end2end/package.json) into public/, with its license beside it.
# /api/docs loads it from there: the reference page needs no CDN. Redoc's sidebar footer
# loads its logo from cdn.redoc.ly; that address becomes an empty data: URL, which fails to
# load, so Redoc hides the image and the page fetches nothing from elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
src=end2end/node_modules/redoc
[ -f "$src/bundles/redoc.standalone.js" ] || { echo "run npm install in end2end/ first" >&2; exit 1; }
patched=$(mktemp)
trap 'rm -f "$patched"' EXIT
sed 's#https://cdn.redoc.ly/redoc/logo-mini.svg#data:,#' "$src/bundles/redoc.standalone.js" >"$patched"
if grep -q 'https://cdn.redoc.ly' "$patched"; then
  echo "redoc.standalone.js still names cdn.redoc.ly: check the pinned version" >&2; exit 1
fi
if ! cmp -s "$patched" public/redoc.standalone.js; then
  cp "$patched" public/redoc.standalone.js
  cp "$src/LICENSE" public/redoc.LICENSE.txt
fi
