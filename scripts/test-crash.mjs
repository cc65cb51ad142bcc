// `npm run test:crash`: the crash-consistency test with 1,000 SIGKILLs (IMGMETA_CRASH_KILLS to change it,
// IMGMETA_CRASH_SEED to repeat a run); closes with the same summary line as `npm test`.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const result = spawnSync(
  process.execPath,
  [join(root, 'scripts', 'test.mjs'), 'test/hardening/crash-consistency.test.ts', ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit', env: { IMGMETA_CRASH_KILLS: '1000', ...process.env } },
);
process.exit(result.status ?? 1);
