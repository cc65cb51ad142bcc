// `npm start`: build everything, then launch Electron on the built app.
// The Electron binary is located without ever triggering a download (require('electron') from plain
// node would try to fetch it); when it is missing we say so in one line and exit 1.
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findElectronBinary } from './electron-binary.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const binary = findElectronBinary({ root });
if (!binary.path) {
  console.error(
    `imgmeta: cannot start the desktop app: ${binary.reason}. \`npm run serve\` shows the same UI in a browser, and the command line works without Electron: \`npm run build && npm run imgmeta -- --help\`.`,
  );
  process.exit(1);
}
const electron = binary.path;

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
