// Preload: runs sandboxed, with context isolation, before the page. It may require only 'electron'; everything else
// (src/shared, zod) is bundled into out/preload/index.js by electron-vite (see electron.vite.config.ts).
import {
  contextBridge,
  ipcRenderer,
  webUtils,
  type IpcRenderer,
  type IpcRendererEvent,
  type WebUtils,
} from 'electron';
import { ImgmetaError } from '../shared/errors';
import { isEventName, type EventName, type Events, type Unsubscribe } from '../shared/events';
import { operationNames, type OperationName } from '../shared/operations';
import {
  bridgeMessage,
  eventChannel,
  ipcChannel,
  reviveError,
  type Client,
  unwrap,
} from '../shared/transport';

type Ipc = Pick<IpcRenderer, 'invoke' | 'on' | 'removeListener'>;
type DroppedFile = Parameters<WebUtils['getPathForFile']>[0];

/** Main's handler for the system dialog (src/main/source-dialog.ts, `chooseSourceChannel`). */
const chooseSourceChannel = 'imgmeta:app.chooseSource';

/**
 * The desktop app's two extras beside the operations, each narrowly scoped: the path of a file or folder dropped
 * on the window (a sandboxed page cannot learn it; the renderer declares these in src/renderer/src/env.d.ts), and
 * the system dialog for a source to import.
 */
export interface DesktopExtras {
  /** `webUtils.getPathForFile`: the dropped item's path on disk, '' for a File not backed by one. */
  pathForFile(file: DroppedFile): string;
  /** Opens the system dialog (a file or a folder); the chosen path, or undefined when cancelled. */
  chooseSource(): Promise<string | undefined>;
}

/**
 * contextBridge keeps only an error's message, so the code goes in front of it (`not_found: ...`) and the renderer
 * revives the typed error with reviveError; name and code are set too, for whoever looks before the bridge.
 */
function bridgeError(err: unknown): Error {
  const typed = reviveError(err);
  const error = new Error(bridgeMessage(typed));
  error.name = 'ImgmetaError';
  (error as Error & { code: string }).code = typed.code;
  return error;
}

/**
 * What the page gets as `window.imgmeta`: one named method per declared operation (never ipcRenderer, never a
 * generic invoke), `on` for the declared events, and the two desktop extras. Each call answers the operation's
 * result or throws its error.
 */
export function createBridge(
  ipc: Ipc,
  files: Pick<WebUtils, 'getPathForFile'> = { getPathForFile: (file) => webUtils.getPathForFile(file) },
): Client & DesktopExtras {
  const api = {} as Record<OperationName, (input?: unknown) => Promise<unknown>>;
  for (const name of operationNames) {
    const channel = ipcChannel(name);
    api[name] = async (input?: unknown) => {
      let envelope: unknown;
      try {
        envelope = await ipc.invoke(channel, input ?? {});
      } catch (err) {
        // Electron rejects before main answers: the input could not be cloned, or no handler is registered.
        throw bridgeError(new ImgmetaError('internal', `${name}: ${reviveError(err).message}`));
      }
      try {
        return unwrap(envelope);
      } catch (err) {
        throw bridgeError(err);
      }
    };
  }
  const on = <E extends EventName>(event: E, listener: (payload: Events[E]) => void): Unsubscribe => {
    if (!isEventName(event))
      throw bridgeError(new ImgmetaError('invalid_argument', `no event named ${String(event)}`));
    if (typeof listener !== 'function')
      throw bridgeError(new ImgmetaError('invalid_argument', `${event}: the listener must be a function`));
    const channel = eventChannel(event);
    // The page gets the payload only: never the IpcRendererEvent, which carries `sender` (ipcRenderer itself).
    const relay = (_event: IpcRendererEvent, payload: Events[E]) => listener(payload);
    ipc.on(channel, relay);
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      ipc.removeListener(channel, relay);
    };
  };
  const pathForFile = (file: DroppedFile): string => {
    try {
      return files.getPathForFile(file);
    } catch (err) {
      // Electron throws for anything that is not a File.
      throw bridgeError(new ImgmetaError('invalid_argument', `pathForFile: ${reviveError(err).message}`));
    }
  };
  const chooseSource = async (): Promise<string | undefined> => {
    let envelope: unknown;
    try {
      envelope = await ipc.invoke(chooseSourceChannel);
    } catch (err) {
      throw bridgeError(new ImgmetaError('internal', `chooseSource: ${reviveError(err).message}`));
    }
    try {
      return unwrap<string | undefined>(envelope) ?? undefined;
    } catch (err) {
      throw bridgeError(err);
    }
  };
  return { ...api, on, pathForFile, chooseSource } as unknown as Client & DesktopExtras;
}

contextBridge.exposeInMainWorld('imgmeta', createBridge(ipcRenderer));
