import type { Service } from '../../src/main/service';

/**
 * What the crash test compares: the state a user can observe (image names -> targets, the trash in deletion order,
 * metadata values with versions), the operations the crash worker runs, and what each does to that state. The
 * worker (test/helpers/crash-worker.ts) and the test (test/hardening/crash-consistency.test.ts) share it.
 */

/** Sources the worker imports, from the real fixtures, each into a namespace of its own or a shared one. */
export const importSpecs = [
  { path: 'test/fixtures/oci-layout-umoci/layout', namespace: 'imp-layout' },
  { path: 'test/fixtures/oci-layout-umoci/layout', namespace: 'imp-shared' },
  { path: 'test/fixtures/docker-data-root/docker-save/all.tar', namespace: 'imp-save' },
  { path: 'test/fixtures/skopeo-archives/oci-archive/multi-all.tar', namespace: 'imp-shared' },
  { path: 'test/fixtures/skopeo-archives/docker-archive/app.tar', namespace: 'imp-archive' },
  { path: 'test/fixtures/docker-data-root', namespace: 'imp-docker' },
  { path: 'test/fixtures/containers-storage/storage', namespace: 'imp-podman' },
  { path: 'test/fixtures/containerd-metadata/root', namespace: undefined },
] as const;

export type CrashOp =
  | { op: 'import'; spec: number }
  | { op: 'create'; namespace: string; name: string; digest: string }
  | { op: 'tag'; namespace: string; source: string; name: string }
  | { op: 'delete'; namespace: string; name: string; purge: boolean }
  | { op: 'restore'; namespace: string; name: string }
  | { op: 'purge'; id: string; ref: string; digest: string }
  | { op: 'set'; namespace: string; key: string; value: string; expectedVersion: number }
  | { op: 'unset'; namespace: string; key: string }
  | { op: 'gc' };

export interface TrashItem {
  /** Unknown (undefined) for an entry an expected state predicts but no store has shown yet. */
  id?: string;
  ref: string;
  digest: string;
}

export interface State {
  /** `namespace/name` -> target digest. */
  images: Map<string, string>;
  /** Oldest first. */
  trash: TrashItem[];
  /** `namespace/key` -> hex value and version (undefined: any version). */
  metadata: Map<string, { hex: string; version?: number }>;
}

/** What an import brings: found by importing the same source into a scratch store. */
export interface ImportEffect {
  images: Map<string, string>;
  metadata: Map<string, string>;
}

export const ref = (namespace: string, name: string) => `${namespace}/${name}`;

export async function readState(service: Service): Promise<State> {
  const images = new Map<string, string>();
  let cursor: string | undefined;
  do {
    const page = await service['images.list']({ limit: 1000, ...(cursor ? { cursor } : {}) });
    for (const i of page.items) images.set(ref(i.namespace, i.name), i.target.digest);
    cursor = page.nextCursor;
  } while (cursor);
  const trash: TrashItem[] = [];
  do {
    const page = await service['trash.list']({ limit: 1000, ...(cursor ? { cursor } : {}) });
    for (const e of page.items)
      trash.push({ id: e.id, ref: ref(e.image.namespace, e.image.name), digest: e.image.target.digest });
    cursor = page.nextCursor;
  } while (cursor);
  trash.reverse(); // the list is newest first
  const metadata = new Map<string, { hex: string; version?: number }>();
  for (const { namespace } of await service['metadata.namespaces']({})) {
    do {
      const page = await service['metadata.list']({ namespace, limit: 1000, ...(cursor ? { cursor } : {}) });
      for (const k of page.items) {
        const v = await service['metadata.get']({ namespace, key: k.key });
        metadata.set(ref(namespace, k.key), {
          hex: Buffer.from(v.value).toString('hex'),
          version: v.version,
        });
      }
      cursor = page.nextCursor;
    } while (cursor);
  }
  return { images, trash, metadata };
}

/** The state after `op`, as far as it can be predicted (new trash ids and metadata versions are left open). */
export function apply(state: State, op: CrashOp, imports: ImportEffect[]): State {
  const images = new Map(state.images);
  const trash = [...state.trash];
  const metadata = new Map(state.metadata);
  switch (op.op) {
    case 'import': {
      const effect = imports[op.spec]!;
      for (const [r, digest] of effect.images) images.set(r, digest);
      for (const [k, hex] of effect.metadata)
        if (metadata.get(k)?.hex !== hex) metadata.set(k, { hex, version: undefined });
      break;
    }
    case 'create':
      images.set(ref(op.namespace, op.name), op.digest);
      break;
    case 'tag':
      images.set(ref(op.namespace, op.name), images.get(ref(op.namespace, op.source))!);
      break;
    case 'delete': {
      const r = ref(op.namespace, op.name);
      if (!op.purge) trash.push({ ref: r, digest: images.get(r)! });
      images.delete(r);
      break;
    }
    case 'restore': {
      const r = ref(op.namespace, op.name);
      const at = trash.findLastIndex((t) => t.ref === r);
      images.set(r, trash[at]!.digest);
      trash.splice(at, 1);
      break;
    }
    case 'purge': {
      // an entry deleted since the last reopen has no id in the model yet: it is the latest one of that image
      const at = trash.findIndex((t) => t.id === op.id);
      trash.splice(
        at >= 0 ? at : trash.findLastIndex((t) => !t.id && t.ref === op.ref && t.digest === op.digest),
        1,
      );
      break;
    }
    case 'set':
      metadata.set(ref(op.namespace, op.key), { hex: op.value, version: undefined });
      break;
    case 'unset':
      metadata.delete(ref(op.namespace, op.key));
      break;
    case 'gc':
      break;
  }
  return { images, trash, metadata };
}

/** Where `actual` differs from `expected` (open ids and versions match anything); empty when it matches. */
export function differences(expected: State, actual: State): string[] {
  const out: string[] = [];
  for (const [r, digest] of expected.images)
    if (actual.images.get(r) !== digest) out.push(`image ${r}: want ${digest}, got ${actual.images.get(r)}`);
  for (const r of actual.images.keys()) if (!expected.images.has(r)) out.push(`image ${r}: not expected`);
  const trashOf = (t: TrashItem[]) => t.map((e) => `${e.ref}@${e.digest}`).join(', ');
  if (
    expected.trash.length !== actual.trash.length ||
    expected.trash.some(
      (e, i) =>
        e.ref !== actual.trash[i]!.ref ||
        e.digest !== actual.trash[i]!.digest ||
        (e.id !== undefined && e.id !== actual.trash[i]!.id),
    )
  )
    out.push(`trash: want [${trashOf(expected.trash)}], got [${trashOf(actual.trash)}]`);
  for (const [k, v] of expected.metadata) {
    const got = actual.metadata.get(k);
    if (!got || got.hex !== v.hex || (v.version !== undefined && v.version !== got.version))
      out.push(`metadata ${k}: want ${JSON.stringify(v)}, got ${JSON.stringify(got)}`);
  }
  for (const k of actual.metadata.keys())
    if (!expected.metadata.has(k)) out.push(`metadata ${k}: not expected`);
  return out;
}

/** A small seeded generator (mulberry32), so that a failing run can be repeated from its seed. */
export function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
  };
}
