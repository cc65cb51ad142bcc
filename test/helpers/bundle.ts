import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { tempDir } from './store';

export const projectRoot = join(import.meta.dirname, '..', '..');

/**
 * A TypeScript worker that imports src/, bundled to a temp .cjs the way scripts/build-cli.mjs bundles the CLI
 * (run-time dependencies stay external and resolve through NODE_PATH=projectNodePath), so a test can run the real
 * store in another process.
 */
export async function bundleWorker(entry: string): Promise<string> {
  const pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  const outfile = join(tempDir('imgmeta-worker-'), entry.replace(/\.ts$/, '.cjs'));
  await build({
    absWorkingDir: projectRoot,
    entryPoints: [join(projectRoot, 'test', 'helpers', entry)],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: Object.keys(pkg.dependencies ?? {}).flatMap((d) => [d, `${d}/*`]),
    logLevel: 'warning',
  });
  return outfile;
}

export const projectNodePath = join(projectRoot, 'node_modules');
