import { describe, expect, it } from 'vitest';
import { makeImage, putImageContent, tempStore } from '../helpers/store';

describe('smoke', () => {
  it('creates, lists, deletes, restores, collects', async () => {
    const { service } = tempStore();
    const a = makeImage('a');
    await putImageContent(service, a);
    await service['images.create']({
      namespace: 'default',
      name: 'example.com/app:1.0',
      target: a.target,
      labels: { team: 'x' },
    });
    await service['images.tag']({
      namespace: 'default',
      source: 'example.com/app:1.0',
      name: 'example.com/app:latest',
    });
    const page = await service['images.list']({});
    expect(page.total).toBe(2);
    expect(page.items.map((i) => i.name)).toEqual(['example.com/app:1.0', 'example.com/app:latest']);
    expect(page.items[0]!.totalSize).toBeGreaterThan(1000);
    const tree = await service['content.tree']({ namespace: 'default', name: 'example.com/app:1.0' });
    expect(tree.children.map((c) => [c.role, c.present])).toEqual([
      ['config', true],
      ['layer', false],
    ]);
    const del = await service['images.delete']({
      images: [{ namespace: 'default', name: 'example.com/app:1.0' }],
    });
    expect(del.reclaimedBytes).toBe(0);
    const del2 = await service['images.delete']({
      images: [{ namespace: 'default', name: 'example.com/app:latest' }],
      dryRun: true,
    });
    expect(del2.reclaimedBytes).toBe(0); // the trash entry of 1.0 still reaches it
    expect((await service['gc.preview']({})).digests).toEqual([]);
    await service['images.restore']({ images: [{ namespace: 'default', name: 'example.com/app:1.0' }] });
    expect((await service['images.list']({ filter: { name: 'latest' } })).total).toBe(1);
    expect((await service['store.check']({})).errors).toEqual([]);
  });
});
