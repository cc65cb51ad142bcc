import type { StoreChangedEvent } from '../shared/events';

/** What the feed needs of a store: its change counter, which every committed write bumps (any process). */
export interface ChangeCounter {
  changeSeq(): number;
}

/**
 * Notices writes to the store, ours or another process's (the CLI next to the app), by polling the change counter,
 * a single LMDB read, and reports each new value once. LMDB has no cross-process notification; a few hundred
 * milliseconds is as fast as a person looking at the window can tell.
 */
export function watchChanges(
  store: ChangeCounter,
  onChange: (event: StoreChangedEvent) => void,
  intervalMs = 250,
): () => void {
  let last = store.changeSeq();
  const timer = setInterval(() => {
    let seq: number;
    try {
      seq = store.changeSeq();
    } catch {
      return; // closed under us (store switched or shutting down); the owner stops the feed next.
    }
    if (seq === last) return;
    last = seq;
    onChange({ changeSeq: seq });
  }, intervalMs);
  timer.unref?.();
  return () => clearInterval(timer);
}
