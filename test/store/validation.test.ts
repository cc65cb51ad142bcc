import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Service } from '../../src/main/service';
import { ImgmetaError } from '../../src/shared/errors';
import { isDanglingFast } from '../../src/main/store/catalog-columns';
import { isDanglingName } from '../../src/shared/reference';
import { limits } from '../../src/shared/schemas';
import { fakeDigest, oci, tempStore } from '../helpers/store';

/**
 * Validation at the store boundary: every domain primitive that is valid round-trips exactly through the service
 * (create, then get returns what went in), and every invalid one is refused with invalid_argument.
 */

const numRuns = 60;
const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');
const chars = (alphabet: string) => fc.constantFrom(...alphabet.split(''));
const lower = 'abcdefghijklmnopqrstuvwxyz';
const digits = '0123456789';
const hexChars = '0123456789abcdef';
const hex = (length: number) => fc.string({ unit: chars(hexChars), minLength: length, maxLength: length });
const word = lower + lower.toUpperCase() + digits + '_';

// ---- the distribution/reference grammar, as generators ----------------------------------------------------------

const alphaNumeric = fc.string({ unit: chars(lower + digits), minLength: 1, maxLength: 8 });
const separator = fc.constantFrom('.', '_', '__', '-', '--', '---');
const pathComponent = fc
  .tuple(alphaNumeric, fc.array(fc.tuple(separator, alphaNumeric), { maxLength: 3 }))
  .map(([first, rest]) => first + rest.map(([s, a]) => s + a).join(''));
const path = fc.array(pathComponent, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('/'));
const domainComponent = fc.oneof(
  chars(lower + lower.toUpperCase() + digits),
  fc
    .tuple(
      chars(lower + digits),
      fc.string({ unit: chars(lower + lower.toUpperCase() + digits + '-'), maxLength: 8 }),
      chars(lower + digits),
    )
    .map(([a, b, c]) => a + b + c),
);
const domainName = fc.array(domainComponent, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('.'));
const ipv6 = fc.constantFrom('[::1]', '[2001:db8::1]', '[fe80::a:B:c]');
const port = fc.integer({ min: 0, max: 65535 }).map((p) => `:${p}`);
const domain = fc
  .tuple(fc.oneof(domainName, ipv6, fc.constant('localhost')), fc.option(port, { nil: '' }))
  .map(([host, p]) => host + p);
const tag = fc
  .tuple(chars(word), fc.string({ unit: chars(word + '.-'), maxLength: 24 }))
  .map(([a, b]) => a + b)
  .chain((t) => fc.constantFrom(t, (t + 'x'.repeat(128)).slice(0, 128)));
const sha256 = hex(64).map((h) => `sha256:${h}`);
const sha512 = hex(128).map((h) => `sha512:${h}`);

const reference = fc
  .record({
    domain: fc.option(domain, { nil: undefined }),
    path,
    tag: fc.option(tag, { nil: undefined }),
    digest: fc.option(sha256, { nil: undefined }),
  })
  .map(
    ({ domain: d, path: p, tag: t, digest: g }) =>
      `${d !== undefined ? `${d}/` : ''}${p}${t !== undefined ? `:${t}` : ''}${g !== undefined ? `@${g}` : ''}`,
  );
const validName = fc.oneof(
  { weight: 6, arbitrary: reference.filter((n) => n.length <= 255) },
  { weight: 1, arbitrary: sha256 },
  {
    weight: 1,
    arbitrary: fc
      .tuple(path, sha256)
      .map(([p, d]) => `${p}@${d}`)
      .filter((n) => n.length <= 255),
  },
);

// ---- the other primitives ----------------------------------------------------------------------------------------

const restricted = fc
  .tuple(chars(word.replace('_', '')), fc.string({ unit: chars(word + '!#$&^.+-'), maxLength: 40 }))
  .map(([a, b]) => a + b)
  .chain((s) => fc.constantFrom(s, (s + 'y'.repeat(127)).slice(0, 127)));
const mediaType = fc.tuple(restricted, restricted).map(([t, s]) => `${t}/${s}`);

const alnumMixed = fc.string({
  unit: chars(lower + lower.toUpperCase() + digits),
  minLength: 1,
  maxLength: 10,
});
const namespace = fc
  .tuple(
    alnumMixed,
    fc.array(fc.tuple(fc.string({ unit: chars('._+-'), minLength: 1, maxLength: 2 }), alnumMixed), {
      maxLength: 4,
    }),
  )
  .map(([first, rest]) => first + rest.map(([s, a]) => s + a).join(''))
  .filter((ns) => ns.length <= limits.namespaceLength);

// eslint-disable-next-line no-control-regex
const unprintable = /[\u0000-\u001f\u007f-\u009f\uffff]/;
const printableChar = fc
  .string({ unit: 'binary', minLength: 1, maxLength: 1 })
  .filter((c) => !unprintable.test(c));
const printable = (maxLength: number) => fc.string({ unit: printableChar, minLength: 1, maxLength });
const metadataKey = fc
  .oneof(
    printable(40),
    // long keys, close to the 1024-byte bound
    fc.tuple(printable(20), fc.constantFrom('a', 'é', '€', '😀')).map(([s, c]) => {
      let key = s;
      while (utf8(key + c) <= limits.metadataKeyBytes) key += c;
      return key;
    }),
  )
  .filter((k) => utf8(k) <= limits.metadataKeyBytes);
const controlChar = fc
  .oneof(fc.integer({ min: 0, max: 0x1f }), fc.integer({ min: 0x7f, max: 0x9f }))
  .map((c) => String.fromCharCode(c));

// Label keys: printable, no '=', at most 256 bytes. `__proto__` is covered by its own test below.
const labelKey = printable(16)
  .map((k) => k.replaceAll('=', ':'))
  .filter((k) => utf8(k) <= limits.labelKeyBytes && k !== '__proto__');
const labelValue = fc.oneof(fc.constant(''), printable(30));
const labels = fc.dictionary(labelKey, labelValue, { maxKeys: 8, noNullPrototype: true });

let service: Service;
let counter = 0;
beforeEach(() => {
  ({ service } = tempStore());
});

const target = (overrides: Record<string, unknown> = {}) => ({
  mediaType: oci.manifest,
  digest: fakeDigest(1),
  size: 100,
  ...overrides,
});

/** Creates, gets back, and checks the record is exactly what went in. */
async function roundTrip(input: {
  namespace?: string;
  name?: string;
  target?: Record<string, unknown>;
  labels?: Record<string, string>;
}) {
  const full = {
    namespace: input.namespace ?? 'default',
    name: input.name ?? `app:${++counter}`,
    target: target(input.target),
    labels: input.labels ?? {},
  };
  const created = await service['images.create'](full as Parameters<Service['images.create']>[0]);
  const got = await service['images.get']({ namespace: full.namespace, name: full.name });
  expect(got).toEqual(created);
  expect({ namespace: got.namespace, name: got.name, target: got.target, labels: got.labels }).toEqual(full);
  await service['images.delete']({ images: [{ namespace: full.namespace, name: full.name }], purge: true });
}

async function rejected(promise: Promise<unknown>): Promise<void> {
  await expect(promise).rejects.toBeInstanceOf(ImgmetaError);
  await expect(promise).rejects.toMatchObject({ code: 'invalid_argument' });
}

describe('digests: sha256 and sha512 in lowercase hex', () => {
  it('valid digests round-trip as an image target and as a content lookup key', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(sha256, sha512), async (digest) => {
        await roundTrip({ target: { digest } });
        await expect(service['content.info']({ digest })).rejects.toMatchObject({ code: 'not_found' });
      }),
      { numRuns },
    );
  });

  it('uppercase hex, a wrong length, an unknown algorithm or a missing colon is invalid_argument', async () => {
    const invalid = fc.oneof(
      fc
        .tuple(hex(64), fc.nat(63))
        .map(
          ([h, i]) =>
            `sha256:${h.slice(0, i)}${h[i]!.toUpperCase() === h[i] ? 'G' : h[i]!.toUpperCase()}${h.slice(i + 1)}`,
        ),
      fc
        .integer({ min: 0, max: 200 })
        .filter((n) => n !== 64)
        .chain((n) => hex(n))
        .map((h) => `sha256:${h}`),
      fc
        .integer({ min: 0, max: 200 })
        .filter((n) => n !== 128)
        .chain((n) => hex(n))
        .map((h) => `sha512:${h}`),
      fc
        .tuple(fc.constantFrom('md5', 'sha1', 'sha384', 'SHA256', 'blake3', 'sha-256', ''), hex(64))
        .map(([a, h]) => `${a}:${h}`),
      hex(64).map((h) => `sha256${h}`),
      hex(64).map((h) => ` sha256:${h}`),
      hex(64).map((h) => `sha256:${h}\n`),
    );
    await fc.assert(
      fc.asyncProperty(invalid, async (digest) => {
        await rejected(
          service['images.create']({
            namespace: 'default',
            name: 'app:1',
            target: target({ digest }) as never,
          }),
        );
        await rejected(service['content.info']({ digest }));
      }),
      { numRuns },
    );
    expect((await service['images.list']({})).total).toBe(0);
  });
});

describe('image names: distribution references and the CRI digest forms', () => {
  it('every name the reference grammar produces round-trips', async () => {
    await fc.assert(
      fc.asyncProperty(validName, async (name) => roundTrip({ name })),
      { numRuns: 150 },
    );
  });

  it('the length bound is 255 characters', async () => {
    const at = `example.com/${'a'.repeat(255 - 'example.com/'.length)}`;
    expect(at.length).toBe(255);
    await roundTrip({ name: at });
    await rejected(service['images.create']({ namespace: 'default', name: `${at}b`, target: target() }));
  });

  it('examples from the grammar are accepted', async () => {
    const hexDigest = 'a'.repeat(64);
    for (const name of [
      'busybox',
      'docker.io/library/busybox:latest',
      'localhost:5000/app',
      'localhost:5000/app:1.0',
      'Example.COM/app',
      '[::1]:5000/app:v1',
      'a__b/c---d/e.f_g:Tag_1.0-rc',
      `app@sha256:${hexDigest}`,
      `app:1.0@sha256:${hexDigest}`,
      `sha256:${hexDigest}`,
      `sha512:${'b'.repeat(128)}`,
    ]) {
      await roundTrip({ name });
    }
  });

  it('uppercase paths, empty, too long, spaces, two tags and short digests are invalid_argument', async () => {
    const fixed = [
      '',
      'a'.repeat(256),
      'App',
      'app/Foo',
      'example.com/App:1',
      'my app',
      ' app',
      'app ',
      'app\t',
      'name:tag:tag',
      'app@sha256:short',
      `app@sha256:${'A'.repeat(64)}`,
      `app@md5:${'a'.repeat(32)}`,
      `app@sha256:${'a'.repeat(63)}`,
      'app:',
      ':tag',
      'app@',
      '-app',
      'app-',
      'app..b',
      'app/',
      '/app',
      'app//b',
      'app:-tag',
      `app:${'t'.repeat(129)}`,
      'app:tag/x',
      'éxample',
    ];
    for (const name of fixed)
      await rejected(service['images.create']({ namespace: 'default', name, target: target() }));
    const mutated = fc.oneof(
      // an uppercase letter in a path component that cannot be read as a domain (the last one)
      fc
        .tuple(
          validName.filter((n) => /[a-z]/.test(n.split('@')[0]!.split('/').pop()!.split(':')[0]!)),
          fc.nat(),
        )
        .map(([n, i]) => {
          const slash = n.lastIndexOf('/') + 1;
          const repoEnd = n.slice(slash).search(/[:@]/);
          const last = n.slice(slash, repoEnd < 0 ? undefined : slash + repoEnd);
          const letters = [...last.matchAll(/[a-z]/g)].map((m) => m.index);
          const at = slash + letters[i % letters.length]!;
          return n.slice(0, at) + n[at]!.toUpperCase() + n.slice(at + 1);
        }),
      fc
        .tuple(validName, fc.nat(), fc.constantFrom(' ', '\n', '\u0000', '!', '"', '\\', '#', '%'))
        .map(([n, i, c]) => {
          const at = i % (n.length + 1);
          return n.slice(0, at) + c + n.slice(at);
        }),
      validName.map((n) => (n + 'x'.repeat(256)).slice(0, 256 + (n.length % 10))),
    );
    await fc.assert(
      fc.asyncProperty(mutated, async (name) =>
        rejected(service['images.create']({ namespace: 'default', name, target: target() })),
      ),
      { numRuns },
    );
    expect((await service['images.list']({})).total).toBe(0);
  });
});

describe('media types: the RFC 6838 type/subtype shape', () => {
  it('valid media types round-trip', async () => {
    await fc.assert(
      fc.asyncProperty(mediaType, async (m) => roundTrip({ target: { mediaType: m } })),
      { numRuns },
    );
  });

  it('malformed media types are invalid_argument', async () => {
    for (const m of [
      '',
      'application',
      'application/',
      '/json',
      'application/vnd/oci',
      'application /json',
      'application/json ',
      'application/json; charset=utf-8',
      '.application/json',
      'application/-json',
      `application/${'x'.repeat(128)}`,
      `${'x'.repeat(128)}/json`,
      'applicatión/json',
      'application/js(on)',
    ]) {
      await rejected(
        service['images.create']({
          namespace: 'default',
          name: 'app:1',
          target: target({ mediaType: m }) as never,
        }),
      );
      await rejected(service['content.put']({ bytes: new Uint8Array([1]), mediaType: m }));
    }
  });
});

describe('sizes: safe integers >= 0', () => {
  it('every safe non-negative integer round-trips', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.maxSafeNat(), fc.constantFrom(0, 1, 255, 256, 2 ** 32, Number.MAX_SAFE_INTEGER)),
        async (size) => roundTrip({ target: { size } }),
      ),
      { numRuns },
    );
  });

  it('-1, 1.5, NaN, Infinity, 2**53 and strings are invalid_argument', async () => {
    for (const size of [
      -1,
      1.5,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      2 ** 53,
      -(2 ** 53),
      '5',
      null,
      1e300,
    ]) {
      await rejected(
        service['images.create']({ namespace: 'default', name: 'app:1', target: target({ size }) as never }),
      );
    }
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.integer({ max: -1 }),
          fc.double({ noInteger: true }),
          fc.integer({ min: 2 ** 53, max: 2 ** 60 }),
        ),
        async (size) =>
          rejected(
            service['images.create']({
              namespace: 'default',
              name: 'app:1',
              target: target({ size }) as never,
            }),
          ),
      ),
      { numRuns },
    );
  });
});

describe('namespaces: letters and digits joined by . _ + -', () => {
  it('valid namespaces round-trip for images and metadata', async () => {
    await fc.assert(
      fc.asyncProperty(namespace, async (ns) => {
        await roundTrip({ namespace: ns });
        await service['metadata.set']({ namespace: ns, key: 'k', value: new Uint8Array([1]) });
        expect((await service['metadata.namespaces']({})).map((n) => n.namespace)).toContain(ns);
        expect((await service['metadata.get']({ namespace: ns, key: 'k' })).namespace).toBe(ns);
        await service['metadata.delete']({ namespace: ns, key: 'k' });
      }),
      { numRuns },
    );
    await roundTrip({ namespace: 'n'.repeat(limits.namespaceLength) });
  });

  it('empty, too long, spaces, slashes, colons and leading or trailing separators are invalid_argument', async () => {
    for (const ns of [
      '',
      'n'.repeat(limits.namespaceLength + 1),
      'a b',
      'a/b',
      'a:b',
      '-a',
      'a-',
      '.a',
      'a.',
      'ns\n',
      'né',
      'a\u0000b',
    ]) {
      await rejected(service['images.create']({ namespace: ns, name: 'app:1', target: target() }));
      await rejected(service['metadata.set']({ namespace: ns, key: 'k', value: new Uint8Array() }));
      await rejected(service['images.list']({ namespace: ns }));
    }
  });
});

describe('metadata keys: printable, at most 1024 UTF-8 bytes', () => {
  it('valid keys round-trip with their value and are listed under their own prefix', async () => {
    await fc.assert(
      fc.asyncProperty(metadataKey, fc.uint8Array({ maxLength: 64 }), async (key, value) => {
        await service['metadata.set']({ namespace: 'keys', key, value: new Uint8Array(value) });
        const got = await service['metadata.get']({ namespace: 'keys', key });
        expect(got.key).toBe(key);
        expect(Buffer.from(got.value).equals(Buffer.from(value))).toBe(true);
        const page = await service['metadata.list']({ namespace: 'keys', prefix: key });
        expect(page.items.map((i) => i.key)).toContain(key);
        await service['metadata.delete']({ namespace: 'keys', key });
      }),
      { numRuns },
    );
  });

  it('exactly 1024 bytes is accepted, 1025 is not', async () => {
    const at = '€'.repeat(341) + 'a'; // 3 * 341 + 1 = 1024 bytes
    expect(utf8(at)).toBe(1024);
    await service['metadata.set']({ namespace: 'keys', key: at, value: new Uint8Array() });
    expect((await service['metadata.get']({ namespace: 'keys', key: at })).key).toBe(at);
    await rejected(service['metadata.set']({ namespace: 'keys', key: `${at}b`, value: new Uint8Array() }));
    await rejected(
      service['metadata.set']({ namespace: 'keys', key: 'a'.repeat(1025), value: new Uint8Array() }),
    );
  });

  it('control characters, NUL, lone surrogates, U+FFFF and the empty key are invalid_argument', async () => {
    for (const key of [
      '',
      '\u0000',
      'a\u0000b',
      'line\n',
      '\u001b[0m',
      '\u007f',
      '\u0085',
      '\ud800',
      'a\udc00',
      '\uffff',
    ]) {
      await rejected(service['metadata.set']({ namespace: 'keys', key, value: new Uint8Array() }));
      await rejected(service['metadata.get']({ namespace: 'keys', key }));
    }
    await fc.assert(
      fc.asyncProperty(metadataKey, controlChar, fc.nat(), async (key, c, i) => {
        const at = i % (key.length + 1);
        const bad = key.slice(0, at) + c + key.slice(at);
        await rejected(service['metadata.set']({ namespace: 'keys', key: bad, value: new Uint8Array() }));
      }),
      { numRuns },
    );
    expect(await service['metadata.namespaces']({})).toEqual([]);
  });
});

describe('label maps: printable keys without =, bounded sizes', () => {
  it('valid label maps round-trip on create and update', async () => {
    await fc.assert(
      fc.asyncProperty(labels, labels, async (first, second) => {
        const name = `app:${++counter}`;
        await service['images.create']({ namespace: 'default', name, target: target(), labels: first });
        expect((await service['images.get']({ namespace: 'default', name })).labels).toEqual(first);
        await service['images.update']({ namespace: 'default', name, labels: second });
        expect((await service['images.get']({ namespace: 'default', name })).labels).toEqual(second);
      }),
      { numRuns },
    );
  });

  it('the bounds are inclusive: 256 labels, 256-byte keys, 4096-byte key=value as in containerd', async () => {
    const many = Object.fromEntries(
      Array.from({ length: limits.labelsPerImage }, (_, i) => [`k${i}`, `v${i}`]),
    );
    const longKey = 'k'.repeat(limits.labelKeyBytes);
    const longPair = { [longKey]: 'v'.repeat(limits.labelBytes - limits.labelKeyBytes - 1) };
    await roundTrip({ labels: many });
    await roundTrip({ labels: longPair });
    await roundTrip({ labels: { 'ünïcødé 😀': 'välue ✓', 'with space': 'a=b=c', empty: '' } });
  });

  it('the longest namespace, name and label together still round-trip and are found by label and name', async () => {
    const ns = 'n'.repeat(limits.namespaceLength);
    const name = `example.com/${'a'.repeat(255 - 'example.com/'.length)}`;
    const key = '😀'.repeat(limits.labelKeyBytes / 4); // 256 bytes
    const value = '€'.repeat(Math.floor((limits.labelBytes - limits.labelKeyBytes - 1) / 3)); // 255 * 3 = 765 bytes
    await service['images.create']({ namespace: ns, name, target: target(), labels: { [key]: value } });
    const byLabel = await service['images.list']({ namespace: ns, filter: { labels: [`${key}=${value}`] } });
    expect(byLabel.items.map((i) => i.name)).toEqual([name]);
    const everywhere = await service['images.list']({ filter: { labels: [`${key}=${value}`] } });
    expect(everywhere.total).toBe(1);
    expect(
      (await service['images.list']({ filter: { name: 'aaaa', labels: [`${key}=${value}`] } })).total,
    ).toBe(1);
    await service['metadata.set']({
      namespace: ns,
      key: '😀'.repeat(limits.metadataKeyBytes / 4),
      value: new Uint8Array([1]),
    });
    expect((await service['metadata.list']({ namespace: ns })).total).toBe(1);
    await service['images.delete']({ images: [{ namespace: ns, name }] });
    expect((await service['trash.list']({ namespace: ns })).total).toBe(1);
    expect((await service['store.check']({})).errors).toEqual([]);
  });

  it('keys named like Object.prototype members are kept, not dropped', async () => {
    // JSON is how labels reach the service from IPC, HTTP and the CLI; `__proto__` there is an ordinary key.
    const tricky = JSON.parse(
      '{"__proto__":"a","constructor":"b","toString":"c","hasOwnProperty":"d"}',
    ) as Record<string, string>;
    const name = 'proto:1';
    const created = await service['images.create']({
      namespace: 'default',
      name,
      target: target(),
      labels: tricky,
    }).catch((e: unknown) => e);
    if (created instanceof ImgmetaError) {
      // Refusing the key outright is acceptable too; silently losing it is not.
      expect(created.code).toBe('invalid_argument');
      return;
    }
    const got = await service['images.get']({ namespace: 'default', name });
    expect(Object.keys(got.labels).sort()).toEqual([
      '__proto__',
      'constructor',
      'hasOwnProperty',
      'toString',
    ]);
    expect(Object.getOwnPropertyDescriptor(got.labels, '__proto__')?.value).toBe('a');
  });

  it('=, empty keys, control characters, too many or too long labels and non-string values are invalid_argument', async () => {
    const bad: unknown[] = [
      { 'a=b': 'c' },
      { '': 'v' },
      { 'k\n': 'v' },
      { k: 'v\u0000' },
      { k: 'line\nbreak' },
      { ['k'.repeat(limits.labelKeyBytes + 1)]: 'v' },
      { k: 'v'.repeat(limits.labelBytes - 1) },
      Object.fromEntries(Array.from({ length: limits.labelsPerImage + 1 }, (_, i) => [`k${i}`, 'v'])),
      { k: 1 },
      { k: null },
      { k: ['v'] },
      ['k=v'],
      'k=v',
    ];
    for (const l of bad) {
      await rejected(
        service['images.create']({
          namespace: 'default',
          name: 'app:1',
          target: target(),
          labels: l as never,
        }),
      );
      await rejected(
        service['content.put']({
          bytes: new Uint8Array([1]),
          mediaType: 'application/octet-stream',
          labels: l as never,
        }),
      );
    }
    await fc.assert(
      fc.asyncProperty(
        labels.filter((l) => Object.keys(l).length > 0),
        controlChar,
        fc.boolean(),
        async (l, c, inKey) => {
          const [k, v] = Object.entries(l)[0]!;
          const broken = inKey ? { ...l, [k + c]: v } : { ...l, [k]: v + c };
          await rejected(
            service['images.create']({
              namespace: 'default',
              name: 'app:1',
              target: target(),
              labels: broken,
            }),
          );
        },
      ),
      { numRuns },
    );
    expect((await service['images.list']({})).total).toBe(0);
  });
});

describe('dangling names', () => {
  it("the catalog's fast check agrees with the reference grammar on every valid name", () => {
    fc.assert(
      fc.property(validName, (name) => {
        expect(isDanglingFast(name)).toBe(isDanglingName(name));
      }),
      { numRuns: 2000 },
    );
  });
});
