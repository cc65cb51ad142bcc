import { invalidArgument } from './errors';

/**
 * JSON for the HTTP transport that keeps bytes as bytes. A `Uint8Array` travels as `{"$bytes": "<base64>"}`; so that
 * no user-supplied object can pose as one, every other object key that starts with `$` is sent with one more `$`
 * (`$x` -> `$$x`) and loses it again on arrival. IPC needs none of this: structured clone carries bytes natively.
 */
const bytesTag = '$bytes';

export function toWire(value: unknown): unknown {
  if (value instanceof Uint8Array) return { [bytesTag]: toBase64(value) };
  if (Array.isArray(value)) return value.map(toWire);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined) continue;
      define(out, key.startsWith('$') ? `$${key}` : key, toWire(item));
    }
    return out;
  }
  return value;
}

/**
 * No operation's input nests deeper than a few levels, nor any answer (a content tree stops at 16 levels); a hostile
 * body nested thousands deep (which JSON.parse accepts) would otherwise overflow the stack here and come back as
 * `internal`.
 */
export const maxWireDepth = 100;

export function fromWire(value: unknown, depth = 0): unknown {
  if (depth > maxWireDepth && value !== null && typeof value === 'object')
    throw invalidArgument(`the body nests deeper than ${maxWireDepth} levels`);
  if (Array.isArray(value)) return value.map((item) => fromWire(item, depth + 1));
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    const record = value as Record<string, unknown>;
    if (keys.length === 1 && keys[0] === bytesTag) {
      const encoded = record[bytesTag];
      if (typeof encoded !== 'string') throw invalidArgument(`${bytesTag} must hold a base64 string`);
      return fromBase64(encoded);
    }
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      if (key.startsWith('$') && !key.startsWith('$$'))
        throw invalidArgument(`unexpected key ${JSON.stringify(key)}: keys starting with $ are sent as $$`);
      define(out, key.startsWith('$') ? key.slice(1) : key, fromWire(record[key], depth + 1));
    }
    return out;
  }
  return value;
}

export const encodeWire = (value: unknown): string => JSON.stringify(toWire(value));

export function decodeWire(text: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw invalidArgument(`the body is not JSON: ${(err as Error).message}`);
  }
  return fromWire(parsed);
}

/** An own property even for `__proto__`, so a hostile key names data and never swaps the prototype. */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

// btoa/atob exist in browsers and in Node 20; they take "binary strings", built here in chunks so that an 8 MiB
// value does not overflow the argument limit of String.fromCharCode.
function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function fromBase64(encoded: string): Uint8Array {
  let binary: string;
  try {
    binary = atob(encoded);
  } catch {
    throw invalidArgument(`${bytesTag} is not valid base64`);
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
