import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EventName, Events, Unsubscribe } from '../../shared/events';
import { noStore, securityHeaders } from './responses';

/** What the server needs of the EventHub: every event, whatever its name. */
export interface EventSource {
  onAny(listener: <E extends EventName>(event: E, payload: Events[E]) => void): Unsubscribe;
}

/**
 * A client that stops reading would make us buffer every event for it; events are small, so this much unread means
 * it is gone or stuck, and it is dropped (its client reconnects and refetches when it comes back).
 */
const maxBufferedBytes = 1024 * 1024;

/**
 * `GET /api/events`: every hub event as a server-sent event (`event: <name>` / `data: <json>`), and a comment now and
 * then so that proxies and the browser keep an idle stream open and a dead connection is noticed. Each stream
 * subscribes on open and unsubscribes when either side closes it.
 */
export class EventStreams {
  private readonly open = new Set<ServerResponse>();

  constructor(
    private readonly source: EventSource,
    private readonly pingMs: number,
  ) {}

  serve(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      ...securityHeaders,
      ...noStore,
      'content-type': 'text/event-stream; charset=utf-8',
      // Ask buffering reverse proxies (nginx) to pass events through as they come.
      'x-accel-buffering': 'no',
    });
    // A first comment sends the headers now, so the client knows it is subscribed before any event.
    res.write(': imgmeta events\n\n');
    this.open.add(res);

    const write = (chunk: string) => {
      if (res.writableLength > maxBufferedBytes) res.destroy();
      else res.write(chunk);
    };
    const unsubscribe = this.source.onAny((event, payload) =>
      write(`event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`),
    );
    const ping = setInterval(() => write(': ping\n\n'), this.pingMs);
    ping.unref();

    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      clearInterval(ping);
      unsubscribe();
      this.open.delete(res);
    };
    req.on('close', close);
    res.on('close', close);
    res.on('error', close);
  }

  /** Ends every stream (the server is stopping); their clients see the end and reconnect to whatever comes next. */
  closeAll(): void {
    for (const res of [...this.open]) res.end();
  }
}
