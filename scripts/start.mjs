// `npm start`: build everything, then launch Electron on the built app.
// The Electron binary is located without ever triggering a download (require('electron') from plain
// node would try to fetch it); when it is missing we say so in one line and exit 1.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const electronPkgDir = join(root, 'node_modules', 'electron');

function findElectronBinary() {
  const pathFile = join(electronPkgDir, 'path.txt');
  const relPath = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : '';
  // Same override the electron package honours.
  const override = process.env['ELECTRON_OVERRIDE_DIST_PATH'];
  if (override) {
    const candidate = join(override, relPath || 'electron');
    return existsSync(candidate) ? candidate : null;
  }
  if (!relPath) return null;
  const candidate = join(electronPkgDir, 'dist', relPath);
  return existsSync(candidate) ? candidate : null;
}

const electron = findElectronBinary();
if (!electron) {
  console.error(
    'imgmeta: the Electron binary is not installed on this machine (node_modules/electron/dist is missing); the command line works without it: `npm run build && npm run imgmeta -- --help` (the browser UI, `npm run serve`, arrives with the next release).',
  );
  process.exit(1);
}

function run(args) {
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
run([join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build']);
run([join(root, 'scripts', 'build-cli.mjs')]);

const env = { ...process.env };
delete env['ELECTRON_RUN_AS_NODE'];
const child = spawn(electron, ['.', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit', env });
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
  });
}
child.on('error', (err) => {
  console.error(`imgmeta: could not launch Electron (${electron}): ${err.message}`);
  process.exit(1);
});
child.on('exit', (code, signal) => {
  process.exit(code ?? (signal ? 1 : 0));
});
