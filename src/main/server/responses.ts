import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { ErrorCode } from '../../shared/errors';
import type { Envelope } from '../../shared/transport';
import { encodeWire } from '../../shared/wire';
import { contentSecurityPolicy } from '../csp';

/**
 * Every response carries these, errors and event streams included: the app's Content Security Policy (the same one
 * the desktop app sends), no MIME sniffing, no framing, and no referrer, so a URL never leaks to another site.
 */
export const securityHeaders: Readonly<OutgoingHttpHeaders> = {
  'content-security-policy': contentSecurityPolicy,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** API answers and anything personal are never cached: they change with the store and are behind the token. */
export const noStore = { 'cache-control': 'no-store' } as const;

export function send(
  res: ServerResponse,
  status: number,
  headers: OutgoingHttpHeaders,
  body: string | Buffer = '',
): void {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.writeHead(status, { ...securityHeaders, ...headers, 'content-length': bytes.byteLength });
  res.end(res.req.method === 'HEAD' ? undefined : bytes);
}

/** Outside /api: one line of plain text, for a person looking at a browser tab or curl. */
export const sendText = (
  res: ServerResponse,
  status: number,
  text: string,
  headers: OutgoingHttpHeaders = {},
) => send(res, status, { 'content-type': 'text/plain; charset=utf-8', ...noStore, ...headers }, `${text}\n`);

/** Under /api: always an envelope, in wire JSON (bytes travel as bytes), whatever the status. */
export const sendEnvelope = (
  res: ServerResponse,
  status: number,
  envelope: Envelope,
  headers: OutgoingHttpHeaders = {},
) =>
  send(
    res,
    status,
    { 'content-type': 'application/json; charset=utf-8', ...noStore, ...headers },
    encodeWire(envelope),
  );

export const sendApiError = (
  res: ServerResponse,
  status: number,
  code: ErrorCode,
  message: string,
  headers: OutgoingHttpHeaders = {},
) => sendEnvelope(res, status, { ok: false, error: { code, message } }, headers);
