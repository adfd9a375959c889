// After `vite build`: the initial JavaScript size (the entry chunk and every
// chunk it imports statically), raw and gzipped, printed and written to
// dist/size.txt; and FILE.gz next to each text asset, which `shebao serve`
// sends to clients that accept gzip.
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const manifest = JSON.parse(readFileSync(join(dist, '.vite', 'manifest.json'), 'utf8'));
const entry = Object.values(manifest).find((c) => c.isEntry);
const seen = new Set();
const walk = (chunk) => {
  if (seen.has(chunk.file)) return;
  seen.add(chunk.file);
  for (const name of chunk.imports ?? []) walk(manifest[name]);
};
walk(entry);
let raw = 0;
let gzipped = 0;
for (const file of seen) {
  const bytes = readFileSync(join(dist, file));
  raw += bytes.length;
  gzipped += gzipSync(bytes, { level: 9 }).length;
}
for (const file of readdirSync(join(dist, 'assets'))) {
  if (/\.(js|css|svg)$/.test(file)) {
    const path = join(dist, 'assets', file);
    writeFileSync(path + '.gz', gzipSync(readFileSync(path), { level: 9 }));
  }
}
const kb = (n) => (n / 1024).toFixed(1);
const line = `initial JS: ${kb(gzipped)} KB gzipped (${kb(raw)} KB raw) in ${seen.size} file(s); budget 150 KB gzipped`;
console.log(line);
writeFileSync(join(dist, 'size.txt'), line + '\n');
if (gzipped > 150 * 1024) {
  console.error('initial JS is over the 150 KB budget');
  process.exit(1);
}
