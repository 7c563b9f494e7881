#!/usr/bin/env bash
# Copies ECharts (pinned in end2end/package.json) into public/, with its license beside it.
# The dashboard loads it once from the page head; charming draws through it.
set -euo pipefail
cd "$(dirname "$0")/.."
src=end2end/node_modules/echarts
[ -f "$src/dist/echarts.min.js" ] || { echo "run npm install in end2end/ first" >&2; exit 1; }
if ! cmp -s "$src/dist/echarts.min.js" public/echarts.min.js; then
  cp "$src/dist/echarts.min.js" public/echarts.min.js
  cp "$src/LICENSE" public/echarts.LICENSE.txt
fi
