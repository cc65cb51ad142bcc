// Prepares `npm run bench`: installs bench/'s own dependencies (better-sqlite3, a benchmark-only peer that compiles
// from source here in about two minutes) with `npm ci` when they are missing or not the locked versions, then
// bundles bench/store-bench.ts with the store it measures into out/bench/store-bench.cjs. lmdb (native) stays
// external and loads from the root node_modules; better-sqlite3 is loaded from bench/node_modules at run time.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleForNode } from '../scripts/bundle.mjs';

const bench = dirname(fileURLToPath(import.meta.url));
const root = join(bench, '..');
// `node bench/build.mjs [store-bench|import-bench]`: only the store benchmark needs better-sqlite3.
const name = process.argv[2] ?? 'store-bench';
const outfile = join(root, 'out', 'bench', `${name}.cjs`);

/** Every locked package is installed at its locked version, and the native module loads in this Node. */
function installed() {
  const lock = JSON.parse(readFileSync(join(bench, 'package-lock.json'), 'utf8'));
  for (const [path, entry] of Object.entries(lock.packages ?? {})) {
    if (path === '') continue;
    const manifest = join(bench, path, 'package.json');
    if (!existsSync(manifest) || JSON.parse(readFileSync(manifest, 'utf8')).version !== entry.version)
      return false;
  }
  try {
    execFileSync(process.execPath, ['-e', "new (require('better-sqlite3'))(':memory:').close()"], {
      cwd: bench,
      stdio: 'ignore',
    });
    return true;
  } catch {
    return false;
  }
}

if (name === 'store-bench' && !installed()) {
  console.log('bench: installing bench/ dependencies (npm ci; better-sqlite3 builds from source)...');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: bench, stdio: 'inherit' });
}

try {
  await bundleForNode({
    entry: join(bench, `${name}.ts`),
    outfile,
    external: ['better-sqlite3', 'playwright-core'],
  });
} catch {
  process.exit(1); // esbuild has already printed the errors
}
console.log(`bench: built ${relative(root, outfile)}`);
