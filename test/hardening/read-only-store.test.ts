import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from '../cli/run';
import { useSmallDisks } from '../helpers/small-disks';

/**
 * A store on a read-only filesystem (a backup or snapshot mounted read-only; here a tmpfs remounted `ro` in a private
 * mount namespace, test/helpers/small-disks.ts): a read-write open fails there before anything can be read, so imgmeta
 * opens a store this user cannot write read-only. It lists, inspects and checks it; every write is refused saying why.
 */
const disks = useSmallDisks();
const layout = join(root, 'test', 'fixtures', 'oci-layout-umoci', 'layout');
const store = (...args: string[]) => ['imgmeta', '--store', 'store', ...args];
const readOnly =
  /^imgmeta: failed_precondition: [a-z.]+: the store at .+ is open read-only: this user cannot write it \(a read-only filesystem or its permissions\)\n$/;

// Each test runs a dozen CLI processes in turn; on a loaded CI that took 45 s.
describe('a store this user cannot write', { timeout: 180_000 }, () => {
  it('is opened read-only: it lists, inspects and checks, and every write is refused saying why', (ctx) => {
    if (disks.unavailable()) return ctx.skip(disks.unavailable());
    const [imported, before, mounted, ...after] = disks.run([
      store('import', layout),
      store('images', 'ls', '--json'),
      ['readonly'],
      store('images', 'ls', '--json'),
      store('images', 'inspect', 'example.com/fixtures/app:1.0', '--json'),
      store('info', '--json'),
      store('info'),
      store('check', '--deep'),
      store('meta', 'set', 'ns', 'k', '--file', disks.files.small()),
      store('images', 'rm', 'example.com/fixtures/app:1.0'),
      store('import', layout),
      store('gc'),
    ]);
    expect(imported!.code).toBe(0);
    expect(mounted).toEqual({ code: 0 });
    const [list, inspect, infoJson, info, check, ...writes] = after;
    expect(list).toMatchObject({ code: 0, out: before!.out });
    expect(inspect!.code).toBe(0);
    expect(JSON.parse(infoJson!.out!)).toMatchObject({ readOnly: true, images: 6 });
    expect(info!.out).toMatch(/^Access: +read-only: this user cannot write the store$/m);
    expect(check!.code).toBe(0);
    for (const write of writes) {
      expect(write.code).toBe(1);
      expect(write.err).toMatch(readOnly);
    }
  });
});
