// Writes `name.br` and `name.gz` beside every text or WASM file of the built site (the
// release build's last step, see the Makefile), so the server sends them as they are
// (tower-http's ServeDir picks them by Accept-Encoding) instead of compressing per request.
// Usage: node scripts/precompress.js target/site
"use strict";
const fs = require("fs");
const path = require("path");
const zlib = require("zlib");

const root = process.argv[2];
if (!root || !fs.existsSync(root)) {
  console.error("usage: node scripts/precompress.js <site root>");
  process.exit(2);
}
const KINDS = new Set([".js", ".wasm", ".css", ".svg", ".html", ".json", ".txt"]);
const brotli = (b) =>
  zlib.brotliCompressSync(b, {
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: zlib.constants.BROTLI_MAX_QUALITY,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: b.length,
    },
  });
const gzip = (b) => zlib.gzipSync(b, { level: 9 });

function* files(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* files(p);
    else if (KINDS.has(path.extname(entry.name))) yield p;
  }
}

let written = 0;
for (const file of files(root)) {
  const source = fs.statSync(file);
  for (const [ext, compress] of [[".br", brotli], [".gz", gzip]]) {
    const out = file + ext;
    // Stale when the file changed after it (the unhashed assets keep their names).
    if (fs.existsSync(out) && fs.statSync(out).mtimeMs >= source.mtimeMs) continue;
    const packed = compress(fs.readFileSync(file));
    if (packed.length >= source.size) {
      fs.rmSync(out, { force: true }); // nothing gained: served as it is
      continue;
    }
    fs.writeFileSync(out, packed);
    written += 1;
  }
}
console.error(`precompressed ${written} files under ${root}`);
