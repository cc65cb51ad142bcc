// Bundles the CLI (src/cli/index.ts) into out/cli/index.cjs: CommonJS for Node 20, with a sourcemap.
import { join, relative } from 'node:path';
import { bundleForNode, projectRoot, runtimeDependencies } from './bundle.mjs';

const outfile = join(projectRoot, 'out', 'cli', 'index.cjs');
try {
  await bundleForNode({ entry: join(projectRoot, 'src', 'cli', 'index.ts'), outfile });
} catch {
  // esbuild has already printed the errors.
  process.exit(1);
}
console.log(
  `build-cli: ${relative(projectRoot, outfile)} (externals: ${runtimeDependencies().join(', ') || 'none'})`,
);
