import { reviveError } from '../../shared/transport';

/**
 * The desktop app's two extras beside the operations (src/preload/index.ts): absent in a browser, so every use asks
 * first. Kept apart from the `Client`, which is the same in both places.
 */

/** Whether the system dialog for a source is there (the desktop app) or not (a browser). */
export const canChooseSource = (): boolean => typeof window.imgmeta?.chooseSource === 'function';

/** Opens the system dialog for a source; the chosen path, or undefined when cancelled. Errors keep their code. */
export async function chooseSource(): Promise<string | undefined> {
  const choose = window.imgmeta?.chooseSource;
  if (!choose) return undefined;
  try {
    return (await choose()) || undefined;
  } catch (err) {
    throw reviveError(err);
  }
}

/**
 * Where a dropped file or folder is on disk: the desktop app can tell (`webUtils.getPathForFile` in the preload);
 * a browser cannot (`undefined`); '' is a dropped item with no path (dragged out of another application's memory).
 */
export function pathOfDroppedFile(file: File): string | undefined {
  const pathForFile = window.imgmeta?.pathForFile;
  if (!pathForFile) return undefined;
  try {
    return pathForFile(file);
  } catch {
    return '';
  }
}
