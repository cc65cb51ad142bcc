import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createService } from '../../src/main/service';
import { Store } from '../../src/main/store/store';
import { createHttpClient } from '../../src/shared/http-client';
import { nextTurn } from '../helpers/store';
import { buildCli, root, run } from '../cli/run';
import { readEvents, startServe, tempBase, until } from './harness';

/**
 * `imgmeta serve` as users run it: `node bin/imgmeta.js --store DIR serve ...` in its own process. The CLI bundle is
 * rebuilt here; the app's files come from the last `npm run build` (out/renderer), and without them `/` is a 503.
 */
beforeAll(() => buildCli(), 60_000);

describe('imgmeta serve', () => {
  it('prints its URL with the token first, serves the API, the events and the app, and exits 0 on SIGTERM', async () => {
    const storeDir = join(tempBase(), 'store');
    const serving = await startServe(['--store', storeDir, 'serve', '--port', '0', '--token', 'T']);
    const match = /^http:\/\/127\.0\.0\.1:(\d+)\/\?token=T$/.exec(serving.url);
    expect(match, serving.url).not.toBeNull();
    const port = Number(match![1]);
    expect(port).toBeGreaterThan(0);
    await until(() => serving.lines().includes(`store: ${storeDir}`), 'the store line');

    const origin = `http://127.0.0.1:${port}`;
    const client = createHttpClient({ baseUrl: origin, token: 'T' });
    expect(await client['store.info']({})).toMatchObject({ path: storeDir, readOnly: false, changeSeq: 0 });

    // The change feed is wired: a write (here through the API) reaches the event stream.
    const events = readEvents(port, 'T');
    await events.ready;
    const value = Uint8Array.from({ length: 256 }, (_, i) => i);
    await client['metadata.set']({ namespace: 'ns', key: 'k', value });
    await until(
      () => events.text().includes('event: store.changed\ndata: {"changeSeq":1}\n\n'),
      'store.changed',
    );
    expect([...(await client['metadata.get']({ namespace: 'ns', key: 'k' })).value]).toEqual([...value]);

    const page = await fetch(`${origin}/`, { headers: { authorization: 'Bearer T' } });
    expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'self'; script-src 'self';/);
    if (existsSync(join(root, 'out', 'renderer', 'index.html'))) {
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await page.text()).toMatch(/<div id="root">/);
    } else {
      expect(page.status).toBe(503);
      expect(await page.text()).toMatch(/npm run build/);
    }

    serving.kill('SIGTERM');
    expect(await serving.exited).toEqual({ code: 0, signal: null });
    await events.ended;
    expect(serving.stderr()).toBe('');
    // Closed cleanly: the write is there for the next process.
    const store = Store.open(storeDir);
    try {
      expect((await createService(store)['metadata.list']({ namespace: 'ns' })).total).toBe(1);
    } finally {
      await nextTurn();
      store.close();
    }
  });

  it('--read-only says so, refuses writes with failed_precondition, serves reads, and stops on SIGINT', async () => {
    const storeDir = join(tempBase(), 'store');
    const serving = await startServe(['--store', storeDir, 'serve', '--read-only']);
    const url = new URL(serving.url);
    const token = url.searchParams.get('token')!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await until(() => serving.lines().some((line) => line.startsWith('read-only:')), 'the read-only line');
    const client = createHttpClient({ baseUrl: url.origin, token });
    await expect(
      client['metadata.set']({ namespace: 'ns', key: 'k', value: new Uint8Array([1]) }),
    ).rejects.toMatchObject({ code: 'failed_precondition' });
    expect(await client['store.info']({})).toMatchObject({ readOnly: true, metadataKeys: 0 });
    serving.kill('SIGINT');
    expect(await serving.exited).toEqual({ code: 0, signal: null });
  });

  it('listens on loopback only unless --host says otherwise, and then warns on stderr', async () => {
    const storeDir = join(tempBase(), 'store');
    const local = await startServe(['--store', storeDir, 'serve', '--port', '0']);
    const port = Number(new URL(local.url).port);
    await until(() => local.lines().includes('stop with Ctrl-C'), 'the last line');
    // Not reachable through this machine's other addresses (where it has any).
    for (const address of outsideAddresses())
      expect(await connects(address, port), `${address}:${port}`).toBe(false);
    expect(await connects('127.0.0.1', port)).toBe(true);
    expect(local.stderr()).toBe('');
    local.kill('SIGTERM');
    await local.exited;

    const exposed = await startServe(['--store', storeDir, 'serve', '--host', '0.0.0.0', '--port', '0']);
    await until(() => exposed.stderr().includes('\n'), 'the warning');
    expect(exposed.stderr()).toMatch(
      /^imgmeta: warning: serving on 0\.0\.0\.0 port \d+, beyond this machine: anyone who can reach it and has the token can read and change the store, over plain HTTP\. Prefer loopback and an SSH tunnel \(see SECURITY\.md\), and --read-only\.\n$/,
    );
    expect(exposed.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=/);
    exposed.kill('SIGTERM');
    expect(await exposed.exited).toEqual({ code: 0, signal: null });

    const named = await startServe(['--store', storeDir, 'serve', '--host', 'localhost', '--read-only']);
    await until(() => named.lines().includes('stop with Ctrl-C'), 'the last line');
    expect(named.stderr()).toBe('');
    named.kill('SIGTERM');
    await named.exited;
  });

  it('a bad port or token is bad usage (exit 2)', async () => {
    const storeDir = join(tempBase(), 'store');
    const [port, token] = await Promise.all([
      run(['--store', storeDir, 'serve', '--port', '65536']),
      run(['--store', storeDir, 'serve', '--token', 'not a token']),
    ]);
    expect(port.code).toBe(2);
    expect(port.err).toMatch(/^imgmeta: usage: .*--port/);
    expect(token.code).toBe(2);
    expect(token.err).toMatch(/^imgmeta: usage: .*--token/);
    expect(existsSync(storeDir)).toBe(false);
  });
});

/** This machine's addresses other than loopback (none in a network namespace of its own). */
function outsideAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .filter((info) => !info.internal && info.family === 'IPv4')
    .map((info) => info.address);
}

function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
