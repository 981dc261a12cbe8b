// Builds into a temporary directory and fails when the result differs from the committed dist/.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'cxmap-dist-'));

function files(dir) {
  const acc = [];
  const walk = (d) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else acc.push(relative(dir, p));
    }
  };
  walk(dir);
  return acc;
}

let failed = false;
try {
  execFileSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], {
    cwd: root,
    env: { ...process.env, CXMAP_WEB_OUT: out },
    stdio: 'inherit',
  });
  const committed = files(join(root, 'dist'));
  const built = files(out);
  const all = [...new Set([...committed, ...built])].sort();
  for (const f of all) {
    if (!committed.includes(f)) {
      console.error(`dist/${f}: missing from the committed dist (run npm run build)`);
      failed = true;
    } else if (!built.includes(f)) {
      console.error(`dist/${f}: no longer produced by the build`);
      failed = true;
    } else if (!readFileSync(join(root, 'dist', f)).equals(readFileSync(join(out, f)))) {
      console.error(`dist/${f}: differs from a fresh build (run npm run build and commit)`);
      failed = true;
    }
  }
  if (!failed) console.log(`dist is up to date (${all.length} files)`);
} finally {
  rmSync(out, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
