import type { IncomingMessage, ServerResponse } from 'node:http';
import { toErrorBody } from '../../shared/errors';
import { isOperationName, operations, type Api } from '../../shared/operations';
import { decodeWire } from '../../shared/wire';
import { dispatch, httpStatus } from '../dispatch';
import { sendApiError, sendEnvelope } from './responses';

export interface OperationRoute {
  api: Api;
  /** Refuse operations declared as writing before their body is even read (the service refuses them too). */
  readOnly: boolean;
  maxBodyBytes: number;
}

/** Thrown while reading a body that outgrows the limit. */
class BodyTooLarge extends Error {}

/**
 * `POST /api/<operation>`: a wire-JSON body in, an envelope out, with the status that goes with its error code.
 * Requests reach here already checked for host, origin and token. The body is read whole (bounded by maxBodyBytes,
 * and in time by the server's request timeout) before the operation runs, so a slow client never holds the store.
 */
export async function handleOperation(
  req: IncomingMessage,
  res: ServerResponse,
  name: string,
  route: OperationRoute,
): Promise<void> {
  if (!isOperationName(name))
    return sendApiError(res, 404, 'not_found', `no operation named ${JSON.stringify(name)}`);
  if (req.method !== 'POST')
    return sendApiError(res, 405, 'invalid_argument', `${name}: use POST`, { allow: 'POST' });
  // Only JSON, never the types an HTML form or a "simple" cross-site fetch can send without a CORS preflight.
  if (mediaType(req.headers['content-type']) !== 'application/json')
    return sendApiError(res, 415, 'invalid_argument', `${name}: the body must be application/json`);
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > route.maxBodyBytes) return tooLarge(req, res, name, route.maxBodyBytes);
  if (route.readOnly && operations[name].writes)
    return sendApiError(
      res,
      httpStatus.failed_precondition,
      'failed_precondition',
      `${name}: the store is served read-only`,
    );

  let text: string;
  try {
    text = await readBody(req, route.maxBodyBytes);
  } catch (err) {
    if (err instanceof BodyTooLarge) return tooLarge(req, res, name, route.maxBodyBytes);
    // The client went away or ran out of time (408, sent by Node) mid-body: nothing was touched, no one to answer.
    if (req.destroyed) return;
    throw err;
  }
  let input: unknown;
  try {
    // An empty body (`curl -d ''`) is the empty input, like the `{}` the client sends for operations without one.
    input = text.trim() === '' ? {} : decodeWire(text);
  } catch (err) {
    const error = toErrorBody(err);
    return sendApiError(res, httpStatus[error.code], error.code, `${name}: ${error.message}`);
  }
  const envelope = await dispatch(route.api, name, input);
  sendEnvelope(res, envelope.ok ? 200 : httpStatus[envelope.error.code], envelope);
}

/** `application/json; charset=utf-8` -> `application/json`. */
const mediaType = (header: string | undefined): string => (header ?? '').split(';')[0]!.trim().toLowerCase();

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > limit) {
        req.off('data', onData);
        req.resume();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * The rest of an oversized body is not worth keeping: it is discarded while the answer goes out, and
 * `connection: close` makes Node close the connection after the answer rather than wait for gigabytes to arrive on a
 * keep-alive connection.
 */
function tooLarge(req: IncomingMessage, res: ServerResponse, name: string, limit: number): void {
  req.resume();
  sendApiError(res, 413, 'invalid_argument', `${name}: the body is larger than ${limit} bytes`, {
    connection: 'close',
  });
}
