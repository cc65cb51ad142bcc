import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { defaultTimeouts, isLoopback } from '../../src/main/server/server';
import { encodeWire } from '../../src/shared/wire';
import { serve, until } from './harness';

/**
 * Clients that take their time cannot hold the server or the store: a request body is read whole before the store is
 * touched, so a slow upload holds no lock while other clients write; headers or a body that dribble in past their
 * time limit are answered 408 and cut off (slowloris).
 */

interface Conversation {
  socket: Socket;
  /** Everything the server sent so far. */
  received: () => string;
  closed: Promise<void>;
  isClosed: () => boolean;
}

/** A raw TCP conversation with the server, for requests no HTTP client would send this slowly. */
function talk(port: number): Promise<Conversation> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let done = false;
    const closed = new Promise<void>((resolveClosed) =>
      socket.on('close', () => {
        done = true;
        resolveClosed();
      }),
    );
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    socket.on('error', () => {}); // a reset after 408 is the point
    socket.once('connect', () => resolve({ socket, received: () => text, closed, isClosed: () => done }));
    socket.once('error', reject);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Writes `pieces` one at a time, `gapMs` apart, until they run out or the server hangs up. */
async function dribble(conversation: Conversation, pieces: string[], gapMs: number): Promise<void> {
  for (const piece of pieces) {
    if (conversation.isClosed() || conversation.socket.destroyed) return;
    conversation.socket.write(piece);
    await sleep(gapMs);
  }
}

const value = (fill: number, size = 4096) => new Uint8Array(size).fill(fill);

describe('a slow upload holds no lock', () => {
  it("another client's writes complete while a slow body is in flight; the slow write lands once its body is whole", async () => {
    const { server, client, local } = await serve();
    const body = Buffer.from(encodeWire({ namespace: 'ns', key: 'slow', value: value(7) }));
    const upload = await talk(server.port);
    upload.socket.write(
      `POST /api/metadata.set HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n` +
        `Authorization: Bearer ${server.token}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${body.length}\r\n\r\n`,
    );
    upload.socket.write(body.subarray(0, 100));

    // While the upload waits for the rest of its body: other writers, one after another, and readers.
    for (let i = 0; i < 5; i++) {
      await client['metadata.set']({ namespace: 'ns', key: `fast-${i}`, value: value(i, 16) });
      expect([...(await local['metadata.get']({ namespace: 'ns', key: `fast-${i}` })).value]).toEqual([
        ...value(i, 16),
      ]);
      upload.socket.write(body.subarray(100 + i * 10, 110 + i * 10)); // a little more of the body
    }
    expect((await client['metadata.list']({ namespace: 'ns' })).total).toBe(5);
    // The slow write has touched nothing yet, and has no answer.
    await expect(local['metadata.get']({ namespace: 'ns', key: 'slow' })).rejects.toMatchObject({
      code: 'not_found',
    });
    expect(upload.received()).toBe('');

    upload.socket.write(body.subarray(150));
    await until(() => upload.received().includes('"ok":true'), 'the answer to the slow write');
    expect(upload.received()).toMatch(/^HTTP\/1\.1 200 /);
    expect([...(await local['metadata.get']({ namespace: 'ns', key: 'slow' })).value]).toEqual([...value(7)]);
    upload.socket.destroy();
  });
});

describe('time limits (slowloris)', () => {
  it('headers that dribble in past the limit are answered 408 and the connection is closed; others are served meanwhile', async () => {
    const { server, client } = await serve({ timeouts: { headersMs: 400, requestMs: 5000 } });
    const slow = await talk(server.port);
    const headers = [
      'GET / HTTP/1.1\r\n',
      `Host: 127.0.0.1:${server.port}\r\n`,
      ...Array.from({ length: 100 }, (_, i) => `X-Slow-${i}: ${i}\r\n`),
    ];
    const sending = dribble(slow, headers, 50);
    // The server keeps serving others while that one dribbles.
    expect(await client['store.info']({})).toMatchObject({ readOnly: false });
    await slow.closed;
    await sending;
    expect(slow.received()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('a body that dribbles in past the limit is answered 408, and changes nothing', async () => {
    const { server, local } = await serve({ timeouts: { headersMs: 400, requestMs: 800 } });
    const body = encodeWire({ namespace: 'ns', key: 'k', value: value(1, 64) });
    const slow = await talk(server.port);
    slow.socket.write(
      `POST /api/metadata.set HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n` +
        `Authorization: Bearer ${server.token}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`,
    );
    await dribble(slow, body.split(''), 50);
    await slow.closed;
    expect(slow.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(await local['metadata.namespaces']({})).toEqual([]);
  });

  it('by default: headers within 15 s, a whole request within 120 s', () => {
    expect(defaultTimeouts).toEqual({ headersMs: 15_000, requestMs: 120_000 });
  });
});

describe('what counts as loopback (beyond it, `imgmeta serve` warns)', () => {
  it('127.0.0.0/8, ::1 and localhost are; wildcards, interface addresses and other names are not', () => {
    for (const host of [
      '127.0.0.1',
      '127.1.2.3',
      'localhost',
      'LOCALHOST',
      '::1',
      '[::1]',
      '::ffff:127.0.0.1',
    ])
      expect(isLoopback(host), host).toBe(true);
    for (const host of [
      '0.0.0.0',
      '::',
      '',
      '192.168.1.20',
      '10.0.0.1',
      'example.com',
      '::ffff:10.0.0.1',
      '128.0.0.1',
    ])
      expect(isLoopback(host), host).toBe(false);
  });
});
