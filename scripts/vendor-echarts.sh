#!/usr/bin/env bash
# Builds public/echarts.min.js from ECharts (pinned in end2end/package.json): only the charts,
# components and renderer the dashboard uses (scripts/echarts-entry.js), bundled and minified
# by esbuild (pinned there too), with the licenses of ECharts and zrender beside it. 592 KB
# instead of the full build's 1,122 KB. The overview loads it once its figures are on screen.
set -euo pipefail
cd "$(dirname "$0")/.."
modules=end2end/node_modules
[ -x "$modules/.bin/esbuild" ] && [ -f "$modules/echarts/package.json" ] ||
  { echo "run npm install in end2end/ first" >&2; exit 1; }
out=public/echarts.min.js
# Rebuilt when the entry or the installed packages changed since the last bundle.
if [ ! -f "$out" ] || [ scripts/echarts-entry.js -nt "$out" ] || [ "$modules/.package-lock.json" -nt "$out" ]; then
  NODE_PATH="$modules" "$modules/.bin/esbuild" scripts/echarts-entry.js --bundle --minify \
    --format=iife --target=es2020 --define:process.env.NODE_ENV='"production"' \
    --legal-comments=none --log-level=warning --outfile="$out"
  cp "$modules/echarts/LICENSE" public/echarts.LICENSE.txt
  cp "$modules/zrender/LICENSE" public/zrender.LICENSE.txt
fi
