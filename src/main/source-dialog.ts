import type { BrowserWindow, Dialog, MessageBoxOptions, OpenDialogOptions } from 'electron';
import { toErrorBody } from '../shared/errors';
import type { Envelope } from '../shared/transport';
import { senderUrl, type InvokeHost } from './ipc';

/**
 * The desktop app's "choose a source to import" dialog, used by File > Import... and by the Import view's Choose...
 * button (through one narrow preload method, `chooseSource()`, on the one channel below: no generic invoke).
 */
export const chooseSourceChannel = 'imgmeta:app.chooseSource';

type Dialogs = Pick<Dialog, 'showOpenDialog' | 'showMessageBox'>;

/**
 * Asks the user for a source: a folder (an OCI layout, a Docker, containerd or Podman root, a metadata directory) or a
 * file (a docker save or OCI archive, containerd's meta.db). macOS has one dialog for both; on Windows and Linux an
 * open dialog is either a file or a folder chooser (with both properties it only lets folders be chosen), so the user
 * says which first. Undefined when cancelled.
 */
export async function chooseSource(
  dialog: Dialogs,
  parent: BrowserWindow | undefined,
  platform: NodeJS.Platform = process.platform,
): Promise<string | undefined> {
  let kind: NonNullable<OpenDialogOptions['properties']>;
  if (platform === 'darwin') {
    kind = ['openFile', 'openDirectory'];
  } else {
    const ask: MessageBoxOptions = {
      type: 'question',
      title: 'Import',
      message: 'Import from a folder or from a file?',
      detail:
        'A folder: an OCI image layout, a Docker, containerd or Podman data root, a metadata directory.\n' +
        "A file: a docker save or OCI archive (.tar, .tar.gz), containerd's meta.db.",
      buttons: ['Folder…', 'File…', 'Cancel'],
      defaultId: 0,
      cancelId: 2,
      noLink: true,
    };
    const { response } = parent ? await dialog.showMessageBox(parent, ask) : await dialog.showMessageBox(ask);
    if (response !== 0 && response !== 1) return undefined;
    kind = response === 0 ? ['openDirectory'] : ['openFile'];
  }
  const pick: OpenDialogOptions = {
    title: 'Import a source',
    buttonLabel: 'Choose',
    // Rootless Podman and Docker keep their stores under ~/.local/share.
    properties: [...kind, 'showHiddenFiles', 'dontAddToRecent'],
  };
  const result = parent ? await dialog.showOpenDialog(parent, pick) : await dialog.showOpenDialog(pick);
  const path = result.filePaths[0];
  return result.canceled || path === undefined ? undefined : path;
}

/**
 * The chooser the menu and the Choose... button share: one dialog at a time (a second ask while one is open, from the
 * menu or the page, answers undefined), parented to the window of the moment.
 */
export function sourceChooser(
  dialog: Dialogs,
  parent: () => BrowserWindow | undefined,
  platform: NodeJS.Platform = process.platform,
): () => Promise<string | undefined> {
  let open = false;
  return async () => {
    if (open) return undefined;
    open = true;
    try {
      return await chooseSource(dialog, parent(), platform);
    } finally {
      open = false;
    }
  };
}

/**
 * `ipcMain.handle(chooseSourceChannel)`: only our own pages may open the dialog (the same sender-frame check as the
 * operations), it takes no input, and it answers an envelope with the chosen path (undefined when cancelled).
 * Returns the function that removes it.
 */
export function registerChooseSource(
  ipcMain: InvokeHost,
  choose: () => Promise<string | undefined>,
  isOwnUrl: (url: string | undefined) => boolean,
): () => void {
  ipcMain.handle(chooseSourceChannel, async (event): Promise<Envelope> => {
    const url = senderUrl(event);
    if (!isOwnUrl(url)) {
      console.warn(`imgmeta: refused app.chooseSource from ${url ?? 'a frame that is gone'}`);
      return {
        ok: false,
        error: {
          code: 'failed_precondition',
          message: `app.chooseSource: refused: the caller (${url ?? 'unknown frame'}) is not an imgmeta page`,
        },
      };
    }
    try {
      return { ok: true, result: await choose() };
    } catch (err) {
      return { ok: false, error: toErrorBody(err) };
    }
  });
  return () => ipcMain.removeHandler(chooseSourceChannel);
}
