// Where the Electron binary is, found the way the `electron` package finds it but without ever downloading it:
// `require('electron')` from plain Node fetches a missing binary, and its release host is unreachable on the
// machines this project is developed on (see docs: "What cannot run"). Used by `npm start` and the end-to-end test.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The executable's path inside the distribution, as the electron package's install.js writes it to path.txt. */
export function electronPlatformPath(platform = process.platform) {
  switch (platform) {
    case 'darwin':
    case 'mas':
      return 'Electron.app/Contents/MacOS/Electron';
    case 'win32':
      return 'electron.exe';
    default:
      return 'electron';
  }
}

/**
 * @param {{ root?: string, env?: NodeJS.ProcessEnv, platform?: NodeJS.Platform }} [options]
 * @returns {{ path: string, reason?: undefined } | { path: undefined, reason: string }}
 */
export function findElectronBinary({
  root = projectRoot,
  env = process.env,
  platform = process.platform,
} = {}) {
  const packageDir = join(root, 'node_modules', 'electron');
  if (!existsSync(join(packageDir, 'package.json')))
    return { path: undefined, reason: 'the electron package is not installed (node_modules/electron)' };
  const pathFile = join(packageDir, 'path.txt');
  const relPath = existsSync(pathFile)
    ? readFileSync(pathFile, 'utf8').trim() || electronPlatformPath(platform)
    : electronPlatformPath(platform);
  // The same override the electron package honours: a distribution unpacked somewhere else.
  const override = env['ELECTRON_OVERRIDE_DIST_PATH'];
  if (override) {
    const candidate = join(override, relPath);
    return existsSync(candidate)
      ? { path: candidate }
      : { path: undefined, reason: `ELECTRON_OVERRIDE_DIST_PATH is set but ${candidate} does not exist` };
  }
  const candidate = join(packageDir, 'dist', relPath);
  if (existsSync(candidate)) return { path: candidate };
  return {
    path: undefined,
    reason: `the Electron binary is not installed (${relative(root, candidate)} is missing)`,
  };
}
