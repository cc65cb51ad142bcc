import { describe, expect, it, vi } from 'vitest';
import { watchChanges } from '../../src/main/change-feed';
import { EventHub } from '../../src/main/event-hub';
import { createService } from '../../src/main/service';
import { Store } from '../../src/main/store/store';
import type { StoreChangedEvent } from '../../src/shared/events';
import { imageInput, tempStore } from '../helpers/store';

describe('the change feed', () => {
  it('reports a write made through another handle on the same store (another process)', async () => {
    const { store, dir } = tempStore();
    const other = Store.open(dir);
    try {
      const seen: StoreChangedEvent[] = [];
      const stop = watchChanges(store, (e) => seen.push(e), 10);
      await createService(other)['images.create'](imageInput('default', 'from-the-cli', 1));
      await vi.waitFor(() => expect(seen).toHaveLength(1), { timeout: 5000 });
      expect(seen[0]!.changeSeq).toBe(other.changeSeq());
      stop();
    } finally {
      other.close();
    }
  });

  it('reports nothing while nobody writes, and nothing after it is stopped', async () => {
    const { store, service } = tempStore();
    const seen: StoreChangedEvent[] = [];
    const stop = watchChanges(store, (e) => seen.push(e), 5);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen).toEqual([]);
    stop();
    await service['images.create'](imageInput('default', 'a', 1));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen).toEqual([]);
  });
});

describe('the event hub', () => {
  it('delivers to every listener of an event, and a failing listener does not stop the others', () => {
    const hub = new EventHub();
    const got: string[] = [];
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    hub.on('store.changed', () => {
      throw new Error('listener bug');
    });
    hub.on('store.changed', (e) => got.push(`changed ${e.changeSeq}`));
    const off = hub.onAny((event) => got.push(`any ${event}`));
    hub.emit('store.changed', { changeSeq: 3 });
    off();
    hub.emit('app.command', { command: 'show-import' });
    expect(got).toEqual(['changed 3', 'any store.changed']);
    expect(errors).toHaveBeenCalledOnce();
    errors.mockRestore();
  });
});
