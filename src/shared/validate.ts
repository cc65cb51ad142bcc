import type { ZodError, ZodType } from 'zod';
import { invalidArgument } from './errors';
import { operations, type OperationName, type ParsedInput } from './operations';

/**
 * A zod failure as one readable line: `field: problem; field: problem`. Field names and messages can carry what the
 * caller sent (a label key is a path segment, an unknown key is quoted), so each is cut short: a megabyte-long key
 * gets a one-line error, not a megabyte echoed to a terminal or a log.
 */
export function describeZodError(err: ZodError): string {
  return err.issues
    .slice(0, 5)
    .map((issue) => {
      const message = shorten(issue.message, 300);
      return issue.path.length > 0
        ? `${issue.path.map((segment) => shorten(String(segment), 64)).join('.')}: ${message}`
        : message;
    })
    .join('; ');
}

const shorten = (text: string, max: number) =>
  text.length > max ? `${text.slice(0, max - 20)}... (${text.length} characters)` : text;

export type Checked<T> = { ok: true; data: T } | { ok: false; problem: string };

/**
 * A schema's verdict on untrusted input, as a readable problem when it fails; never throws. zod 4 runs a string's
 * length checks even on a non-string, and reading the `length` of `{"length": {"toString": 1, "valueOf": 1}}` (valid
 * JSON) or of a null-prototype object throws a TypeError inside `safeParse`: such input is malformed, not our fault.
 */
export function check<T>(schema: ZodType<T>, value: unknown): Checked<T> {
  try {
    const result = schema.safeParse(value);
    return result.success
      ? { ok: true, data: result.data }
      : { ok: false, problem: describeZodError(result.error) };
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
    return {
      ok: false,
      problem: 'a value has a shape no field accepts (an object where text or a number belongs)',
    };
  }
}

/** Validates an operation's input at a boundary; anything wrong is `invalid_argument` with what was expected. */
export function parseInput<N extends OperationName>(name: N, input: unknown): ParsedInput<N> {
  const checked = check<unknown>(operations[name].input as ZodType, input ?? {});
  if (!checked.ok) throw invalidArgument(`${name}: ${checked.problem}`);
  return checked.data as ParsedInput<N>;
}
