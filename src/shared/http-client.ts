import { ImgmetaError } from './errors';
import { isEventName, type EventName, type Events, type Unsubscribe } from './events';
import { createApi, eventsPath, httpPath, type Client } from './transport';
import { decodeWire, encodeWire } from './wire';

export interface HttpClientOptions {
  /** Where `imgmeta serve` listens; '' (the default) is the page's own origin. */
  baseUrl?: string;
  /** Sent as `Authorization: Bearer`; a browser that visited `?token=` carries the cookie instead. */
  token?: string;
  /** Wait before reconnecting the event stream after it drops. */
  reconnectMs?: number;
}

/**
 * The API over `imgmeta serve`: the renderer's client in a browser, and the contract tests' HTTP transport in Node.
 * Events arrive over one server-sent event stream, read with fetch (not EventSource) so that it can carry the
 * Authorization header and works the same in Node.
 */
export function createHttpClient(options: HttpClientOptions = {}): Client {
  const baseUrl = options.baseUrl ?? '';
  const auth: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};

  const api = createApi(async (name, input) => {
    const response = await fetch(`${baseUrl}${httpPath(name)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: encodeWire(input),
      credentials: 'same-origin',
    });
    const text = await response.text();
    try {
      return decodeWire(text);
    } catch {
      throw new ImgmetaError('internal', `${name}: HTTP ${response.status}: ${text.slice(0, 200)}`);
    }
  });

  const events = new EventStream(`${baseUrl}${eventsPath}`, auth, options.reconnectMs ?? 1000);
  return Object.assign(api, { on: events.on.bind(events) }) as Client;
}

type Listener = (payload: unknown) => void;

/** One streaming request shared by every listener; opened with the first, aborted with the last. */
class EventStream {
  private readonly listeners = new Map<EventName, Set<Listener>>();
  private abort: AbortController | undefined;

  constructor(
    private readonly url: string,
    private readonly headers: Record<string, string>,
    private readonly reconnectMs: number,
  ) {}

  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): Unsubscribe {
    const set = this.listeners.get(event) ?? new Set<Listener>();
    this.listeners.set(event, set);
    set.add(listener as Listener);
    if (!this.abort) this.open();
    return () => {
      set.delete(listener as Listener);
      if ([...this.listeners.values()].every((s) => s.size === 0)) {
        this.abort?.abort();
        this.abort = undefined;
      }
    };
  }

  private open(): void {
    const controller = new AbortController();
    this.abort = controller;
    void this.read(controller.signal).finally(() => {
      if (this.abort !== controller) return;
      // Dropped while somebody still listens (server restarted, network blip): come back.
      setTimeout(() => {
        if (this.abort === controller) this.open();
      }, this.reconnectMs);
    });
  }

  private async read(signal: AbortSignal): Promise<void> {
    try {
      const response = await fetch(this.url, {
        headers: { accept: 'text/event-stream', ...this.headers },
        credentials: 'same-origin',
        signal,
      });
      if (!response.ok || !response.body) return;
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          this.dispatch(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch {
      // Aborted or dropped; open() decides whether to reconnect.
    }
  }

  /** One server-sent event: `event: <name>` and `data: <json>` lines; comments (`: ping`) are ignored. */
  private dispatch(block: string): void {
    let event = '';
    let data = '';
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data += line.slice(6);
    }
    if (!isEventName(event)) return;
    let payload: unknown;
    try {
      payload = JSON.parse(data);
    } catch {
      return;
    }
    for (const listener of this.listeners.get(event) ?? []) listener(payload);
  }
}
