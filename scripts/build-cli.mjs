// Bundles the CLI (src/cli/index.ts) into out/cli/index.cjs: CommonJS for Node 20, with a sourcemap.
// Every package.json "dependencies" entry stays external (lmdb has a native binding and must be
// loaded from node_modules at run time); everything else (src/shared, ...) is bundled in.
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const deps = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {})];
const outfile = join(root, 'out', 'cli', 'index.cjs');

try {
  await build({
    absWorkingDir: root,
    entryPoints: [join(root, 'src', 'cli', 'index.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: true,
    // Keep `pkg` and `pkg/sub/path` imports as run-time require() calls.
    external: deps.flatMap((d) => [d, `${d}/*`]),
    // import.meta is empty in CommonJS output; map the commonly used fields onto CJS equivalents.
    banner: { js: "const __imgmetaImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    define: {
      'import.meta.url': '__imgmetaImportMetaUrl',
      'import.meta.dirname': '__dirname',
      'import.meta.filename': '__filename',
    },
    logLevel: 'warning',
  });
} catch {
  // esbuild has already printed the errors.
  process.exit(1);
}
console.log(`build-cli: ${relative(root, outfile)} (externals: ${deps.join(', ') || 'none'})`);
