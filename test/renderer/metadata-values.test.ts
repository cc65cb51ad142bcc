import { describe, expect, it } from 'vitest';
import {
  canShow,
  detectFormat,
  digestsIn,
  hexDump,
  parseHex,
  parseValue,
  toEditText,
  toHexText,
} from '../../src/renderer/src/components/metadata/value-format';
import { ancestors } from '../../src/renderer/src/components/metadata/folder-path';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('a metadata value is shown in the format it is in', () => {
  it('detects JSON objects and arrays, printable text, and anything else as hex', () => {
    expect(detectFormat(bytes('[{"Digest":"sha256:ab"}]'))).toBe('json');
    expect(detectFormat(bytes(' {"a": 1}\n'))).toBe('json');
    expect(detectFormat(bytes('{"a": '))).toBe('text');
    expect(detectFormat(bytes('sha256:abc'))).toBe('text');
    expect(detectFormat(bytes('42'))).toBe('text');
    expect(detectFormat(new Uint8Array([0xff, 0xfe]))).toBe('hex');
    expect(detectFormat(new Uint8Array([0x41, 0x00, 0x42]))).toBe('hex');
    expect(detectFormat(new Uint8Array())).toBe('text');
  });

  it('offers only the formats the bytes can be shown in', () => {
    expect(canShow(new Uint8Array([0xff]), 'text')).toBe(false);
    expect(canShow(bytes('plain'), 'json')).toBe(false);
    expect(canShow(bytes('plain'), 'hex')).toBe(true);
  });

  it('dumps hex with offsets and ASCII, and caps a huge value', () => {
    const dump = hexDump(bytes('ABCDEFGHIJKLMNOPQ'));
    expect(dump.split('\n')).toEqual([
      '00000000  41 42 43 44 45 46 47 48  49 4a 4b 4c 4d 4e 4f 50  ABCDEFGHIJKLMNOP',
      '00000010  51                                                Q',
    ]);
    expect(hexDump(new Uint8Array(100), 32).split('\n').at(-1)).toBe('… 68 more bytes');
  });
});

describe('an edited value is validated before it is saved', () => {
  it('refuses JSON that does not parse and keeps valid JSON as typed', () => {
    expect(parseValue('{"a": 1,', 'json')).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^Invalid JSON/),
    });
    const ok = parseValue('{"a":1}', 'json');
    expect(ok.ok && new TextDecoder().decode(ok.bytes)).toBe('{"a":1}');
  });

  it('reads hex pairs with any spacing and refuses odd or non-hex digits', () => {
    expect(parseHex('00 ff\n10 41')).toEqual({ ok: true, bytes: new Uint8Array([0, 255, 16, 65]) });
    expect(parseHex('abc')).toMatchObject({ ok: false, error: expect.stringContaining('odd number') });
    expect(parseHex('zz')).toMatchObject({ ok: false, error: expect.stringContaining('“z”') });
  });

  it('round-trips every byte through the hex editor text', () => {
    const all = new Uint8Array(256).map((_, i) => i);
    const parsed = parseHex(toHexText(all));
    expect(parsed.ok && [...parsed.bytes]).toEqual([...all]);
  });

  it('pretty-prints JSON for editing', () => {
    expect(toEditText(bytes('{"a":[1]}'), 'json')).toBe('{\n  "a": [\n    1\n  ]\n}');
  });
});

describe('digests in keys and values become links', () => {
  const hex = 'a'.repeat(64);
  const other = 'b'.repeat(64);
  it("reads Docker's sha256/<hex> key names and sha256:<hex> anywhere, once each", () => {
    expect(digestsIn(`sha256/${hex}`, `[{"Digest":"sha256:${other}"},{"Digest":"sha256:${other}"}]`)).toEqual(
      [`sha256:${hex}`, `sha256:${other}`],
    );
    expect(digestsIn('sha256/abc', undefined)).toEqual([]);
  });
});

describe('folders above a prefix', () => {
  it('lists each folder of the path, the prefix itself when it ends in /', () => {
    expect(ancestors('')).toEqual([]);
    expect(ancestors('v2/sha256/ab')).toEqual(['v2/', 'v2/sha256/']);
    expect(ancestors('v2/sha256/')).toEqual(['v2/', 'v2/sha256/']);
  });
});
