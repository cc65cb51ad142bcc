import type { WebContents } from 'electron';
import { operationNames, type Api } from '../shared/operations';
import { eventChannel, ipcChannel, type Envelope } from '../shared/transport';
import { dispatch } from './dispatch';
import type { EventHub } from './event-hub';

/** What a handler needs of an invoke event: the frame that sent it (null once that frame has gone). */
export interface InvokeEvent {
  readonly senderFrame?: { readonly url: string } | null;
}

/** What the wiring needs of `ipcMain` (which satisfies it). */
export interface InvokeHost {
  handle(channel: string, listener: (event: InvokeEvent, input: unknown) => Promise<Envelope>): void;
  removeHandler(channel: string): void;
}

/**
 * One `ipcMain.handle` channel per declared operation, derived from `operationNames`: a new operation is wired by
 * declaring it. Every handler checks that the call comes from one of our own pages (`isOwnUrl` of the sender frame's
 * URL; anything else, such as a page that got navigated elsewhere, is refused without running anything) and answers
 * with an envelope, never a throw, so the renderer sees the real error code. Input is validated by the service
 * (`parseInput` with the operation's schema) before the operation runs. `api` is looked up per call: Open Store...
 * swaps the service under the same channels. Returns a function that removes the handlers.
 */
export function registerOperations(
  ipcMain: InvokeHost,
  api: () => Api,
  isOwnUrl: (url: string | undefined) => boolean,
): () => void {
  for (const name of operationNames) {
    ipcMain.handle(ipcChannel(name), async (event: InvokeEvent, input: unknown): Promise<Envelope> => {
      const url = senderUrl(event);
      if (!isOwnUrl(url)) {
        console.warn(`imgmeta: refused ${name} from ${url ?? 'a frame that is gone'}`);
        return {
          ok: false,
          error: {
            code: 'failed_precondition',
            message: `${name}: refused: the caller (${url ?? 'unknown frame'}) is not an imgmeta page`,
          },
        };
      }
      return dispatch(api(), name, input);
    });
  }
  return () => {
    for (const name of operationNames) ipcMain.removeHandler(ipcChannel(name));
  };
}

/** The URL of the frame that sent an invoke, or undefined once that frame is gone. */
export function senderUrl(event: InvokeEvent): string | undefined {
  try {
    return event.senderFrame?.url || undefined;
  } catch {
    return undefined; // Electron throws on access to a frame that was destroyed mid-call
  }
}

/** Every event of the hub, sent to the window (if there is one) on its event channel. Returns the unsubscribe. */
export function forwardEvents(
  hub: EventHub,
  target: () => Pick<WebContents, 'send' | 'isDestroyed'> | undefined,
): () => void {
  return hub.onAny((event, payload) => {
    const contents = target();
    if (contents && !contents.isDestroyed()) contents.send(eventChannel(event), payload);
  });
}
