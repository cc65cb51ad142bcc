import { describe, expect, it } from 'vitest';
import { EventHub } from '../../src/main/event-hub';
import type { EventSource } from '../../src/main/server/events';
import { createService } from '../../src/main/service';
import { Store } from '../../src/main/store/store';
import type { StoreChangedEvent } from '../../src/shared/events';
import { createHttpClient } from '../../src/shared/http-client';
import { raw, readEvents, serve, until } from './harness';

/** `GET /api/events`: hub events as server-sent events, kept alive with pings, released when the client goes. */

/** An EventHub that counts the streams subscribed to it, to see the server let go of them. */
class CountingHub extends EventHub implements EventSource {
  subscribed = 0;
  override onAny(listener: Parameters<EventHub['onAny']>[0]) {
    this.subscribed++;
    const off = super.onAny(listener);
    return () => {
      this.subscribed--;
      off();
    };
  }
}

describe('events', () => {
  it('a write by another store handle (another process) reaches a subscribed client as store.changed', async () => {
    const hub = new CountingHub();
    const { client, storeDir } = await serve({ hub });
    const seen: StoreChangedEvent[] = [];
    const off = client.on('store.changed', (event) => seen.push(event));
    await until(() => hub.subscribed === 1, 'the client to subscribe');
    const other = Store.open(storeDir);
    try {
      await createService(other)['metadata.set']({ namespace: 'ns', key: 'k', value: new Uint8Array([1]) });
      const written = other.changeSeq();
      await until(() => seen.length > 0, 'store.changed');
      expect(seen).toEqual([{ changeSeq: written }]);
    } finally {
      off();
      other.close();
    }
    // The server's own handle is unaffected by the other one closing.
    expect((await client['metadata.list']({ namespace: 'ns' })).total).toBe(1);
  });

  it('every hub event is forwarded under its own name, with its payload as JSON', async () => {
    const hub = new CountingHub();
    const { server } = await serve({ hub });
    const stream = readEvents(server.port, server.token);
    await stream.ready;
    expect(hub.subscribed).toBe(1);
    hub.emit('import.progress', { id: 'i1', source: '/tmp/x', phase: 'images', done: 1, total: 2 });
    await until(() => stream.text().includes('event: import.progress'), 'the event');
    const text = stream.text();
    expect(text.startsWith(': imgmeta events\n\n')).toBe(true);
    expect(text).toContain(
      'event: import.progress\ndata: {"id":"i1","source":"/tmp/x","phase":"images","done":1,"total":2}\n\n',
    );
  });

  it('the stream is text/event-stream, uncached, with the security headers, and pings while idle', async () => {
    const { server } = await serve({ pingMs: 20 });
    const stream = readEvents(server.port, server.token);
    await until(() => stream.text().includes(': ping\n\n'), 'a ping');
    const headers = await stream.headers;
    expect(headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(headers['cache-control']).toBe('no-store');
    expect(headers['content-security-policy']).toMatch(/^default-src 'self'/);
    expect(headers['x-content-type-options']).toBe('nosniff');
  });

  it('needs the token like everything else', async () => {
    const { server } = await serve();
    const res = await raw(server, { path: '/api/events' });
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toMatchObject({ ok: false, error: { code: 'failed_precondition' } });
  });

  it('a client that goes away is unsubscribed; close() ends the streams still open', async () => {
    const hub = new CountingHub();
    const { server } = await serve({ hub });
    const client = createHttpClient({ baseUrl: server.origin, token: server.token, reconnectMs: 60_000 });
    const off = client.on('store.changed', () => {});
    await until(() => hub.subscribed === 1, 'the first stream');
    off();
    await until(() => hub.subscribed === 0, 'the server to drop the stream');

    const open = readEvents(server.port, server.token);
    await open.ready;
    expect(hub.subscribed).toBe(1);
    await server.close();
    await open.ended;
    expect(open.text()).toBe(': imgmeta events\n\n');
    expect(hub.subscribed).toBe(0);
  });
});
