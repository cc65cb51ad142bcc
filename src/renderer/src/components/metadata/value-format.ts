/**
 * How a metadata value (bytes) is shown and edited: as JSON, UTF-8 text or a hex dump. Pure functions, no DOM, so
 * that detection, dumps and parsing are unit-tested.
 */
export type ValueFormat = 'json' | 'text' | 'hex';

export const formatLabels: Record<ValueFormat, string> = { json: 'JSON', text: 'Text', hex: 'Hex' };

const utf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/** The bytes as UTF-8, or undefined when they are not valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

// Control characters other than tab, newline and carriage return mark binary data even when it decodes as UTF-8.
// eslint-disable-next-line no-control-regex
const binaryControl = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** JSON when it parses as an object or array, text when it is printable UTF-8, hex otherwise. */
export function detectFormat(bytes: Uint8Array): ValueFormat {
  const text = decodeUtf8(bytes);
  if (text === undefined || binaryControl.test(text)) return 'hex';
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      JSON.parse(trimmed);
      return 'json';
    } catch {
      return 'text';
    }
  }
  return 'text';
}

/** Whether the bytes can be shown in a format at all (JSON must parse; text must be UTF-8). */
export function canShow(bytes: Uint8Array, format: ValueFormat): boolean {
  if (format === 'hex') return true;
  const text = decodeUtf8(bytes);
  if (text === undefined) return false;
  if (format === 'text') return true;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

const hexByte = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** `xxd`-style: offset, 16 bytes in hex, the printable ASCII beside them. */
export function hexDump(bytes: Uint8Array, maxBytes = 64 * 1024): string {
  const lines: string[] = [];
  const end = Math.min(bytes.length, maxBytes);
  for (let at = 0; at < end; at += 16) {
    const row = bytes.subarray(at, Math.min(at + 16, end));
    let hex = '';
    let ascii = '';
    for (let i = 0; i < 16; i++) {
      if (i === 8) hex += ' ';
      const b = row[i];
      hex += b === undefined ? '   ' : `${hexByte[b]} `;
      if (b !== undefined) ascii += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
    }
    lines.push(`${at.toString(16).padStart(8, '0')}  ${hex} ${ascii}`);
  }
  if (end < bytes.length) lines.push(`… ${(bytes.length - end).toLocaleString('en-US')} more bytes`);
  return lines.join('\n');
}

/** Hex for editing: 16 bytes a line, two digits a byte, what `parseHex` reads back. */
export function toHexText(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let at = 0; at < bytes.length; at += 16)
    lines.push(Array.from(bytes.subarray(at, at + 16), (b) => hexByte[b]).join(' '));
  return lines.join('\n');
}

export type Parsed = { ok: true; bytes: Uint8Array } | { ok: false; error: string };

/** Hex digits in pairs; spaces and newlines anywhere are ignored. */
export function parseHex(text: string): Parsed {
  const digits = text.replace(/\s+/g, '');
  const bad = digits.search(/[^0-9a-fA-F]/);
  if (bad >= 0) return { ok: false, error: `Not a hex digit: “${digits[bad]}”` };
  if (digits.length % 2 !== 0)
    return { ok: false, error: 'An odd number of hex digits: every byte takes two' };
  const bytes = new Uint8Array(digits.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(digits.slice(i * 2, i * 2 + 2), 16);
  return { ok: true, bytes };
}

/** JSON must parse before it is saved; it is stored as typed (no reformatting behind the user's back). */
export function parseJson(text: string): Parsed {
  try {
    JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `Invalid JSON: ${(err as Error).message}` };
  }
  return { ok: true, bytes: encoder.encode(text) };
}

export function parseValue(text: string, format: ValueFormat): Parsed {
  if (format === 'json') return parseJson(text);
  if (format === 'hex') return parseHex(text);
  return { ok: true, bytes: encoder.encode(text) };
}

/** The value as the text its format edits: pretty JSON, the UTF-8 text, or hex pairs. */
export function toEditText(bytes: Uint8Array, format: ValueFormat): string {
  if (format === 'hex') return toHexText(bytes);
  const text = decodeUtf8(bytes) ?? '';
  if (format === 'json') {
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      return text;
    }
  }
  return text;
}

const digestPattern = /sha256:[0-9a-f]{64}/g;

/**
 * Digests named by a key or a value: `sha256:<hex>` anywhere, and Docker's key form `sha256/<hex>` (the file name
 * under a metadata namespace) read as the digest it stands for. In order of first appearance, once each.
 */
export function digestsIn(key: string, text: string | undefined): string[] {
  const found = new Set<string>();
  const fromKey = /sha256\/([0-9a-f]{64})(?![0-9a-f])/.exec(key);
  if (fromKey) found.add(`sha256:${fromKey[1]}`);
  for (const m of key.matchAll(digestPattern)) found.add(m[0]);
  if (text !== undefined) for (const m of text.slice(0, 1 << 20).matchAll(digestPattern)) found.add(m[0]);
  return [...found];
}

export const sameBytes = (a: Uint8Array, b: Uint8Array) =>
  a.length === b.length && a.every((byte, i) => byte === b[i]);
