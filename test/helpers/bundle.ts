import { join } from 'node:path';
import { bundleForNode, projectRoot } from '../../scripts/bundle.mjs';
import { tempDir } from './store';

/**
 * A TypeScript worker that imports src/, bundled to a temp .cjs the way the CLI is bundled (run-time dependencies
 * stay external and resolve through NODE_PATH=projectNodePath), so a test can run the real store in another process.
 * In a temp directory removed after the test, unless `dir` (for a worker restarted across tests).
 */
export async function bundleWorker(entry: string, dir?: string): Promise<string> {
  const outfile = join(dir ?? tempDir('imgmeta-worker-'), entry.replace(/\.ts$/, '.cjs'));
  await bundleForNode({ entry: join(projectRoot, 'test', 'helpers', entry), outfile, sourcemap: false });
  return outfile;
}

export const projectNodePath = join(projectRoot, 'node_modules');
