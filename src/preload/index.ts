// Preload: runs sandboxed, with context isolation, before the page. It may require only 'electron'; everything else
// (src/shared, zod) is bundled into out/preload/index.js by electron-vite (see electron.vite.config.ts).
import { contextBridge, ipcRenderer, type IpcRenderer, type IpcRendererEvent } from 'electron';
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
 * generic invoke) and `on` for the declared events. Each call answers the operation's result or throws its error.
 */
export function createBridge(ipc: Ipc): Client {
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
  return { ...api, on } as unknown as Client;
}

contextBridge.exposeInMainWorld('imgmeta', createBridge(ipcRenderer));
