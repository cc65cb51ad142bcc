import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ImgmetaError } from '../../src/shared/errors';
import { bridgeMessage, createApi, reviveError, unwrap } from '../../src/shared/transport';
import { decodeWire, encodeWire } from '../../src/shared/wire';

/** Wire values: what operations take and return (JSON plus bytes), including keys that look like the bytes tag. */
const wireValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.uint8Array({ maxLength: 64 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(
      fc.oneof(fc.string(), fc.constantFrom('$bytes', '$$bytes', '$', '__proto__')),
      tie('value'),
      {
        maxKeys: 4,
      },
    ),
  ),
})).value;

describe('wire JSON for the HTTP transport', () => {
  it('round-trips any value, bytes as bytes and $-keys as themselves', () => {
    fc.assert(
      fc.property(wireValue, (value) => {
        expect(decodeWire(encodeWire(value))).toEqual(value);
      }),
    );
  });

  it('carries every byte value of a large value exactly', () => {
    const bytes = new Uint8Array(3 * 65536 + 7).map((_, i) => (i * 31) % 256);
    const back = decodeWire(encodeWire({ value: bytes })) as { value: Uint8Array };
    expect(back.value).toBeInstanceOf(Uint8Array);
    expect(Buffer.compare(back.value, bytes)).toBe(0);
  });

  it('never lets a __proto__ key change an object prototype', () => {
    const decoded = decodeWire('{"labels": {"__proto__": {"polluted": "yes"}}}') as { labels: object };
    expect(Object.getPrototypeOf(decoded.labels)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.keys(decoded.labels)).toEqual(['__proto__']);
  });

  it('refuses a body that is not JSON, bad base64 and an unescaped $-key', () => {
    for (const body of ['{', '{"$bytes": "***"}', '{"$bytes": 5}', '{"$other": 1}'])
      expect(() => decodeWire(body), body).toThrowError(
        expect.objectContaining({ code: 'invalid_argument' }),
      );
  });
});

describe('envelopes', () => {
  it('unwrap returns the result or throws the typed error', () => {
    expect(unwrap({ ok: true, result: 5 })).toBe(5);
    expect(() => unwrap({ ok: false, error: { code: 'conflict', message: 'stale' } })).toThrowError(
      expect.objectContaining({ code: 'conflict', message: 'stale' }),
    );
  });

  it('anything that is not an envelope is internal, never undefined', () => {
    for (const bad of [
      undefined,
      null,
      '<html>',
      { ok: 'yes' },
      { ok: false, error: { code: 'teapot', message: '' } },
    ])
      expect(() => unwrap(bad)).toThrowError(expect.objectContaining({ code: 'internal' }));
  });

  it('createApi sends every call with its operation name and input', async () => {
    const sent: unknown[] = [];
    const api = createApi(async (name, input) => {
      sent.push([name, input]);
      return { ok: true, result: name };
    });
    expect(await api['images.get']({ namespace: 'default', name: 'a' })).toBe('images.get');
    expect(sent).toEqual([['images.get', { namespace: 'default', name: 'a' }]]);
  });
});

describe('errors across the contextBridge', () => {
  it('the code survives as a message prefix, also behind Electron’s remote-method wrapper', () => {
    const original = new ImgmetaError('not_found', 'image default/a: not found: really');
    for (const message of [
      bridgeMessage(original),
      `Error invoking remote method 'imgmeta:images.get': Error: ${bridgeMessage(original)}`,
    ]) {
      const revived = reviveError(new Error(message));
      expect([revived.code, revived.message]).toEqual(['not_found', original.message]);
    }
    expect(reviveError(new Error('boom')).code).toBe('internal');
  });
});
