// Compiles every WebAssembly text file under src/ (and bench/) to a binary beside the
// compiled JavaScript in dist/, so `new URL('./x.wasm', import.meta.url)` finds it. Runs
// after tsc in `npm run build`; uses the wabt package (wat2wasm compiled to JavaScript).
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function* watFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* watFiles(path);
    else if (entry.name.endsWith('.wat')) yield path;
  }
}

const wabt = await wabtInit();
for (const source of ['src', 'bench'].flatMap((d) => [...watFiles(join(root, d))])) {
  const rel = relative(root, source);
  const module = wabt.parseWat(rel, readFileSync(source, 'utf8'), { simd: true });
  try {
    module.validate();
    const { buffer } = module.toBinary({});
    const out = join(root, 'dist', rel.replace(/\.wat$/, '.wasm'));
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, buffer);
    process.stdout.write(`compile-wasm: ${rel} -> ${relative(root, out)} (${buffer.length} bytes)\n`);
  } finally {
    module.destroy();
  }
}
