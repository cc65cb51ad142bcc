import type { BrowserWindow, MessageBoxOptions, OpenDialogOptions } from 'electron';
import { describe, expect, it, vi } from 'vitest';

// source-dialog.ts takes Electron's dialog as a parameter; the module itself must still never load the real one.
vi.mock('electron', async () => (await import('./fake-electron')).electronModule);
const { chooseSource, sourceChooser } = await import('../../src/main/source-dialog');

/** A dialog module that answers the message box with `response` and the open dialog with `picked`. */
function dialogs(response: number, picked: string | undefined) {
  const asked: MessageBoxOptions[] = [];
  const opened: OpenDialogOptions[] = [];
  const parents: unknown[] = [];
  const last = <T>(args: unknown[]) => args[args.length - 1] as T;
  const dialog = {
    showMessageBox: async (...args: unknown[]) => {
      if (args.length > 1) parents.push(args[0]);
      asked.push(last<MessageBoxOptions>(args));
      return { response, checkboxChecked: false };
    },
    showOpenDialog: async (...args: unknown[]) => {
      if (args.length > 1) parents.push(args[0]);
      opened.push(last<OpenDialogOptions>(args));
      return picked === undefined
        ? { canceled: true, filePaths: [] }
        : { canceled: false, filePaths: [picked] };
    },
  };
  return { dialog: dialog as unknown as Parameters<typeof chooseSource>[0], asked, opened, parents };
}

describe('the source dialog', () => {
  it('on macOS, one dialog chooses a file or a folder', async () => {
    const d = dialogs(0, '/Users/me/app.tar');
    expect(await chooseSource(d.dialog, undefined, 'darwin')).toBe('/Users/me/app.tar');
    expect(d.asked).toEqual([]);
    expect(d.opened[0]!.properties).toEqual([
      'openFile',
      'openDirectory',
      'showHiddenFiles',
      'dontAddToRecent',
    ]);
  });

  it('on Linux and Windows, asks for a folder or a file first (one dialog cannot be both there)', async () => {
    for (const platform of ['linux', 'win32'] as const) {
      const folder = dialogs(0, '/var/lib/containerd');
      expect(await chooseSource(folder.dialog, undefined, platform)).toBe('/var/lib/containerd');
      expect(folder.asked[0]).toMatchObject({ buttons: ['Folder…', 'File…', 'Cancel'], cancelId: 2 });
      expect(folder.opened[0]!.properties).toContain('openDirectory');
      expect(folder.opened[0]!.properties).not.toContain('openFile');

      const file = dialogs(1, '/tmp/image.tar');
      expect(await chooseSource(file.dialog, undefined, platform)).toBe('/tmp/image.tar');
      expect(file.opened[0]!.properties).toContain('openFile');
      expect(file.opened[0]!.properties).not.toContain('openDirectory');
    }
  });

  it('answers undefined when the question or the dialog is cancelled', async () => {
    const declined = dialogs(2, '/never');
    expect(await chooseSource(declined.dialog, undefined, 'linux')).toBeUndefined();
    expect(declined.opened).toEqual([]);
    expect(await chooseSource(dialogs(0, undefined).dialog, undefined, 'linux')).toBeUndefined();
  });

  it('is modal to the window when there is one', async () => {
    const d = dialogs(0, '/x');
    const win = {} as BrowserWindow;
    await chooseSource(d.dialog, win, 'linux');
    expect(d.parents).toEqual([win, win]);
  });

  it('opens one dialog at a time: a second ask while one is open answers undefined', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const d = dialogs(0, '/slow');
    const slow = {
      ...d.dialog,
      showOpenDialog: async (options: OpenDialogOptions) => {
        await gate;
        return d.dialog.showOpenDialog(options);
      },
    } as unknown as Parameters<typeof chooseSource>[0];
    const choose = sourceChooser(slow, () => undefined, 'darwin');
    const first = choose();
    expect(await choose()).toBeUndefined();
    release();
    expect(await first).toBe('/slow');
    expect(d.opened).toHaveLength(1);
    // And once it is closed, the next ask opens it again.
    expect(await choose()).toBe('/slow');
  });
});
