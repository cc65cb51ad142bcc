// One way to bundle a TypeScript entry for Node 20 as CommonJS: every package.json "dependencies" entry stays
// external (lmdb has a native binding and must load from node_modules at run time); src/ is bundled in.
// Used by the CLI build, the benchmark build and the tests that run the store in another process.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

export function runtimeDependencies() {
  const pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8'));
  return [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {})];
}

/** @param {{ entry: string, outfile: string, external?: string[], sourcemap?: boolean }} options */
export async function bundleForNode({ entry, outfile, external = [], sourcemap = true }) {
  const result = await build({
    absWorkingDir: projectRoot,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap,
    // Keep `pkg` and `pkg/sub/path` imports as run-time require() calls.
    external: [...runtimeDependencies().flatMap((d) => [d, `${d}/*`]), ...external],
    // import.meta is empty in CommonJS output; map the commonly used fields onto CJS equivalents.
    banner: { js: "const __imgmetaImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    define: {
      'import.meta.url': '__imgmetaImportMetaUrl',
      'import.meta.dirname': '__dirname',
      'import.meta.filename': '__filename',
    },
    logLevel: 'warning',
    write: false,
  });
  // Each file replaced in one rename: a test that runs the CLI while another test file rebuilds it never loads a
  // half-written bundle.
  for (const file of result.outputFiles) {
    mkdirSync(dirname(file.path), { recursive: true });
    const temp = `${file.path}.${process.pid}.tmp`;
    writeFileSync(temp, file.contents);
    renameSync(temp, file.path);
  }
}
