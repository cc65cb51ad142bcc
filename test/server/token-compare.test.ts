import { createHash } from 'node:crypto';
import * as crypto from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { cookieName } from '../../src/main/server/auth';
import { post, raw, serve } from './harness';

/**
 * A wrong token is refused in constant time. Timing is not measured here (it would be noise on a shared machine);
 * the code path is: every presented token is hashed and compared with the hash of the server's token by
 * crypto.timingSafeEqual, on two equal-length digests, whatever the presented token's length, and never with `===`.
 */
vi.mock('node:crypto', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:crypto')>();
  return { ...original, timingSafeEqual: vi.fn(original.timingSafeEqual) };
});

const compared = vi.mocked(crypto.timingSafeEqual);
const sha256 = (text: string) => createHash('sha256').update(text).digest();

beforeEach(() => {
  compared.mockClear();
});

/** The pairs timingSafeEqual saw, as hex, for readable failures. */
const comparisons = () =>
  compared.mock.calls.map(([a, b]) => [
    Buffer.from(a as Uint8Array).toString('hex'),
    Buffer.from(b as Uint8Array).toString('hex'),
  ]);

describe('comparing tokens', () => {
  it('a wrong bearer token, short, long or one character off, is compared as sha256 digests with timingSafeEqual', async () => {
    const { server } = await serve({ token: 'the-right-token' });
    const expected = sha256('the-right-token').toString('hex');
    for (const wrong of ['x', 'the-right-tokeN', 'the-right-token-and-then-some'.repeat(10)]) {
      compared.mockClear();
      const res = await post(server, 'store.info', '{}', { authorization: `Bearer ${wrong}` });
      expect(res.status, wrong).toBe(401);
      expect(comparisons(), wrong).toContainEqual([sha256(wrong).toString('hex'), expected]);
      for (const [a, b] of compared.mock.calls) {
        expect((a as Uint8Array).byteLength).toBe(32);
        expect((b as Uint8Array).byteLength).toBe(32);
      }
    }
  });

  it('the right token goes through the same comparison', async () => {
    const { server } = await serve({ token: 'the-right-token' });
    const res = await post(server, 'store.info', '{}');
    expect(res.status).toBe(200);
    const digest = sha256('the-right-token').toString('hex');
    expect(comparisons()).toContainEqual([digest, digest]);
  });

  it('a cookie and a ?token= visit are compared the same way', async () => {
    const { server } = await serve({ token: 'the-right-token' });
    const expected = sha256('the-right-token').toString('hex');
    const cookie = await raw(server, { path: '/', headers: { cookie: `${cookieName(server.port)}=nope` } });
    expect(cookie.status).toBe(401);
    expect(comparisons()).toContainEqual([sha256('nope').toString('hex'), expected]);
    compared.mockClear();
    const visit = await raw(server, { path: '/?token=nah' });
    expect(visit.status).toBe(401);
    expect(comparisons()).toContainEqual([sha256('nah').toString('hex'), expected]);
  });
});
