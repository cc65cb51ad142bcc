import { errorCodes, ImgmetaError, isErrorCode, type ErrorBody } from './errors';
import type { EventName, EventSubscriber } from './events';
import { operationNames, type Api, type OperationName } from './operations';

/**
 * What every transport derives from the operation declarations: channel and path names, the `{ok, result}` /
 * `{ok: false, error}` envelope, and a client that turns any "send this operation" function into the typed `Api`.
 */
export type Envelope<T = unknown> = { ok: true; result: T } | { ok: false; error: ErrorBody };

/** Electron: one `ipcMain.handle` channel per operation. */
export const ipcChannel = (name: OperationName): string => `imgmeta:${name}`;
/** Electron: main -> renderer events. */
export const eventChannel = (name: EventName): string => `imgmeta:event:${name}`;
/** HTTP: `POST /api/<operation>`; events are server-sent on `GET /api/events`. */
export const httpPath = (name: OperationName): string => `/api/${name}`;
export const eventsPath = '/api/events';

/** What `window.imgmeta` holds in the desktop app, and what the renderer's HTTP client provides in a browser. */
export type Client = Api & EventSubscriber;

/**
 * The result of an envelope, or its error thrown as an `ImgmetaError` with the same code. Anything that is not an
 * envelope (a proxy's HTML error page, a truncated body) is `internal`, never silently `undefined`.
 */
export function unwrap<T>(envelope: unknown): T {
  if (envelope && typeof envelope === 'object' && 'ok' in envelope) {
    const e = envelope as Envelope<T>;
    if (e.ok === true) return e.result;
    if (e.ok === false && e.error && isErrorCode(e.error.code) && typeof e.error.message === 'string')
      throw new ImgmetaError(e.error.code, e.error.message);
  }
  throw new ImgmetaError('internal', 'the transport answered with something that is not an envelope');
}

/** The typed API over one function that sends an operation and returns its envelope. */
export function createApi(send: (name: OperationName, input: unknown) => Promise<unknown>): Api {
  const api = {} as Record<OperationName, (input: unknown) => Promise<unknown>>;
  for (const name of operationNames)
    api[name] = async (input: unknown) => unwrap(await send(name, input ?? {}));
  return api as unknown as Api;
}

/**
 * Errors crossing Electron's contextBridge keep only their message, so the preload puts the code in front of it
 * (`not_found: ...`) and the renderer gets the typed error back with `reviveError`.
 */
export const bridgeMessage = (err: ImgmetaError): string => `${err.code}: ${err.message}`;

// Electron prefixes errors thrown in a bridged function with "Error invoking remote method '...': ", hence `: `.
const bridgedCode = new RegExp(`(?:^|: )(${errorCodes.join('|')}): ([\\s\\S]*)$`);

export function reviveError(err: unknown): ImgmetaError {
  if (err instanceof ImgmetaError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const match = bridgedCode.exec(message);
  if (match && isErrorCode(match[1])) return new ImgmetaError(match[1], match[2] ?? '');
  return new ImgmetaError('internal', message);
}
