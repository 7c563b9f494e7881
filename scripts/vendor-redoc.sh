#!/usr/bin/env bash
# Copies Redoc (pinned in end2end/package.json) into public/, with its license beside it.
# /api/docs loads it from there: the reference page needs no CDN.
set -euo pipefail
cd "$(dirname "$0")/.."
src=end2end/node_modules/redoc
[ -f "$src/bundles/redoc.standalone.js" ] || { echo "run npm install in end2end/ first" >&2; exit 1; }
if ! cmp -s "$src/bundles/redoc.standalone.js" public/redoc.standalone.js; then
  cp "$src/bundles/redoc.standalone.js" public/redoc.standalone.js
  cp "$src/LICENSE" public/redoc.LICENSE.txt
fi
