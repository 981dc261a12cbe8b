// Loads a dependency-free TypeScript module of src/ for unit tests (type-stripped by Vite's Oxc).
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { transformWithOxc } from 'vite';

export async function loadTs(rel) {
  const path = fileURLToPath(new URL(`../src/${rel}`, import.meta.url));
  const { code } = await transformWithOxc(readFileSync(path, 'utf8'), path, { lang: 'ts' });
  const dir = mkdtempSync(join(tmpdir(), 'cxmap-ts-'));
  const out = join(dir, rel.replace(/\.ts$/, '.mjs'));
  writeFileSync(out, code);
  return import(pathToFileURL(out).href);
}
