/**
 * Events the main process pushes to the renderer (IPC) or to browsers (server-sent events). Declared once, like the
 * operations, so the preload, the server and the renderer agree on names and payloads.
 */
export interface StoreChangedEvent {
  /** The store's change counter after the write(s) that were noticed. */
  changeSeq: number;
  /** The app switched to another store (Open Store...): everything cached is stale, not just what changed. */
  reopened?: boolean;
}

export interface ImportProgressEvent {
  /** The import this is about; one import runs at a time per process, but browsers may watch several processes. */
  id: string;
  source: string;
  phase: string;
  /** Items (blobs, records) done so far, and the total when known. */
  done: number;
  total?: number;
  bytes?: number;
  totalBytes?: number;
  message?: string;
}

/** Commands from the desktop app's menu that the renderer carries out (it owns navigation). */
export interface AppCommandEvent {
  command: 'show-import';
  /** A source chosen in the system dialog (File > Import...): the import view fills it in and checks it. */
  path?: string;
}

export interface Events {
  'store.changed': StoreChangedEvent;
  'import.progress': ImportProgressEvent;
  'app.command': AppCommandEvent;
}

export type EventName = keyof Events;

// A record, not a list, so that an event added to `Events` and forgotten here fails to compile.
const eventTable: Record<EventName, true> = {
  'store.changed': true,
  'import.progress': true,
  'app.command': true,
};
export const eventNames = Object.keys(eventTable) as EventName[];

export const isEventName = (value: unknown): value is EventName =>
  typeof value === 'string' && Object.hasOwn(eventTable, value);

export type Unsubscribe = () => void;

export interface EventSubscriber {
  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): Unsubscribe;
}
