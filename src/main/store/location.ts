import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where the store lives when no `--store` is given: `$IMGMETA_STORE`, else `<userData>/store`, where userData is the
 * directory Electron's `app.getPath('userData')` returns for an app named imgmeta. The CLI computes it the same way
 * so that both open the same store without importing electron.
 */
export function defaultStorePath(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  if (env.IMGMETA_STORE) return env.IMGMETA_STORE;
  return join(userDataPath(env, platform), 'store');
}

export function userDataPath(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  const home = homedir();
  switch (platform) {
    case 'darwin':
      return join(home, 'Library', 'Application Support', 'imgmeta');
    case 'win32':
      return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'imgmeta');
    default:
      return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'imgmeta');
  }
}
