import { toErrorBody, type ErrorCode } from '../shared/errors';
import { isOperationName, type Api } from '../shared/operations';
import type { Envelope } from '../shared/transport';

/**
 * One call from a transport (IPC or HTTP) to the service, answered as an envelope: the result, or the error's code
 * and message. Nothing thrown escapes, so a renderer never sees Electron's "Error invoking remote method" or a bare
 * 500; failures that are not ours become `internal` and are logged here with their stack.
 */
export async function dispatch(api: Api, name: string, input: unknown): Promise<Envelope> {
  if (!isOperationName(name))
    return { ok: false, error: { code: 'not_found', message: `no operation named ${JSON.stringify(name)}` } };
  try {
    const run = api[name] as (input: unknown) => Promise<unknown>;
    return { ok: true, result: await run(input) };
  } catch (err) {
    const error = toErrorBody(err);
    if (error.code === 'internal') console.error(`imgmeta: ${name} failed:`, err);
    return { ok: false, error };
  }
}

/** The HTTP status that goes with an error code, for logs and proxies; the body is the envelope either way. */
export const httpStatus: Record<ErrorCode, number> = {
  not_found: 404,
  already_exists: 409,
  invalid_argument: 400,
  failed_precondition: 412,
  conflict: 409,
  cancelled: 499,
  internal: 500,
};
