// Loads dependency-free TypeScript modules of src/ for unit tests: each is type-stripped by Vite's
// Oxc into one temporary directory, with relative imports pointed at the compiled siblings.
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { transformWithOxc } from 'vite';

const dir = mkdtempSync(join(tmpdir(), 'cxmap-ts-'));
const done = new Set();

async function compile(rel) {
  if (done.has(rel)) return;
  done.add(rel);
  const path = fileURLToPath(new URL(`../src/${rel}`, import.meta.url));
  let { code } = await transformWithOxc(readFileSync(path, 'utf8'), path, { lang: 'ts' });
  const deps = [];
  code = code.replace(/from\s+['"]\.\/([\w-]+)['"]/g, (_, name) => {
    deps.push(`${name}.ts`);
    return `from './${name}.mjs'`;
  });
  writeFileSync(join(dir, rel.replace(/\.ts$/, '.mjs')), code);
  for (const d of deps) await compile(d);
}

export async function loadTs(rel) {
  await compile(rel);
  return import(pathToFileURL(join(dir, rel.replace(/\.ts$/, '.mjs'))).href);
}
