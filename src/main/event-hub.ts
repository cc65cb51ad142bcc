import {
  eventNames,
  type EventName,
  type Events,
  type EventSubscriber,
  type Unsubscribe,
} from '../shared/events';

type Listener = (payload: unknown) => void;

/**
 * Where the main process's events meet their transports: the change feed and imports emit here; the IPC wiring
 * forwards to windows and the server to event streams. A listener that throws is dropped from this one delivery,
 * never from the others.
 */
export class EventHub implements EventSubscriber {
  private readonly listeners = new Map<EventName, Set<Listener>>();

  emit<E extends EventName>(event: E, payload: Events[E]): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      try {
        listener(payload);
      } catch (err) {
        console.error(`imgmeta: a ${event} listener failed:`, err);
      }
    }
  }

  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): Unsubscribe {
    const set = this.listeners.get(event) ?? new Set<Listener>();
    this.listeners.set(event, set);
    set.add(listener as Listener);
    return () => set.delete(listener as Listener);
  }

  /** Every event, for transports that forward them all (IPC to a window, SSE to a browser). */
  onAny(listener: <E extends EventName>(event: E, payload: Events[E]) => void): Unsubscribe {
    const offs = eventNames.map((event) => this.on(event, (payload) => listener(event, payload)));
    return () => offs.forEach((off) => off());
  }
}
