import type { CheckProblem, CheckReport, IncompleteImage } from '../../shared/types';
import { childrenOfBlob, contentTree, digestOf } from './content';
import type { StoreEnv } from './env';
import { garbage, unreachableByFullMark } from './gc';
import { indexedPairs, nameSummary, type NameSummary } from './images';
import { decodeKey, encodeKey, type Key } from './keys';

/**
 * Verifies the store the way `ctr images check` and a database's integrity check would: every index entry matches
 * a record and every record has its index entries, the counts equal what the records imply, and every stored blob
 * hashes to its digest. Images whose manifests or configs are not stored are listed as incomplete, not as errors.
 */
export function checkStore(env: StoreEnv, options: { deep: boolean }): CheckReport {
  const errors: CheckProblem[] = [];
  const problem = (kind: CheckProblem['kind'], message: string) => {
    if (errors.length < 1000) errors.push({ kind, message });
  };
  const expectedIndex = new Set<string>();
  const expectedCounts = new Map<string, number>();
  const bump = (key: Key, n = 1) => {
    const id = encodeKey(key).toString('hex');
    expectedCounts.set(id, (expectedCounts.get(id) ?? 0) + n);
  };
  const expect = (key: Key) => expectedIndex.add(encodeKey(key).toString('hex'));

  let checkedImages = 0;
  const incomplete: IncompleteImage[] = [];
  for (const { key, value: s } of env.dbs.images.getRange({ snapshot: true })) {
    const [ns, name] = key as [string, string];
    checkedImages++;
    const pairs = indexedPairs(s.l);
    const summary = env.dbs.index.get(['n*', name, ns]) as NameSummary | undefined;
    // Stores written before the name index covered whole records hold only its first four fields.
    const expected = nameSummary(s).slice(0, summary?.length === 4 ? 4 : undefined);
    if (JSON.stringify(summary) !== JSON.stringify(expected))
      problem('index', `image ${ns}/${name}: its name index entry does not match the record`);
    const entries: Key[] = [
      ['n*', name, ns],
      ['c', ns, s.c, name],
      ['c*', s.c, ns, name],
      ['s', ns, s.z, name],
      ['s*', s.z, ns, name],
      ['d', s.t.digest, ns, name],
    ];
    for (const pair of pairs) entries.push(['l', ns, pair, name], ['l*', pair, name, ns]);
    for (const entry of entries) {
      expect(entry);
      if (env.dbs.index.get(entry) === undefined)
        problem('index', `image ${ns}/${name}: index entry ${JSON.stringify(entry)} is missing`);
    }
    bump(['images', ns]);
    bump(['images*']);
    bump(['ref', s.t.digest]);
    for (const pair of pairs) {
      bump(['label', ns, pair]);
      bump(['label*', pair]);
    }
    const missing = missingMetadataBlobs(env, s.t);
    if (missing.length > 0) incomplete.push({ namespace: ns, name, missing });
  }

  for (const { key, value } of env.dbs.trash.getRange({ snapshot: true })) {
    const [seq, ns, name] = key as [number, string, string];
    if (value.ns !== ns || value.name !== name)
      problem('trash', `trash entry ${seq}: its key and record disagree`);
    expect(['t', ns, name, seq]);
    if (env.dbs.index.get(['t', ns, name, seq]) === undefined)
      problem('trash', `trash entry ${seq} (${ns}/${name}) has no index entry`);
    bump(['trash', ns]);
    bump(['trash*']);
    bump(['ref', value.image.t.digest]);
  }

  for (const key of env.dbs.index.getKeys({ snapshot: true })) {
    if (!expectedIndex.has(encodeKey(key as Key).toString('hex')))
      problem('index', `index entry ${JSON.stringify(key)} belongs to no record`);
  }

  let checkedContent = 0;
  let contentBytes = 0;
  for (const { key: digest, value } of env.dbs.content.getRange({ snapshot: true })) {
    checkedContent++;
    for (const [, child] of value.k) {
      if (env.dbs.parents.get([child.digest, digest]) === undefined)
        problem('content', `content ${digest}: the edge to ${child.digest} is not indexed`);
    }
    if (!value.p) continue;
    contentBytes += value.s;
    const bytes = env.dbs.blobs.get(digest);
    if (!bytes) {
      problem('content', `content ${digest}: its bytes are missing`);
      continue;
    }
    const algorithm = digest.startsWith('sha512:') ? 'sha512' : 'sha256';
    if (bytes.byteLength !== value.s)
      problem('content', `content ${digest}: ${bytes.byteLength} bytes stored, ${value.s} recorded`);
    if (digestOf(bytes, algorithm) !== digest)
      problem('content', `content ${digest}: the bytes do not match the digest (corrupt)`);
    else if (options.deep) {
      try {
        const children = childrenOfBlob(bytes, value.m);
        if (JSON.stringify(children) !== JSON.stringify(value.k))
          problem('content', `content ${digest}: its recorded children differ from its bytes`);
      } catch (err) {
        problem('content', `content ${digest}: ${(err as Error).message}`);
      }
    }
  }
  for (const key of env.dbs.parents.getKeys({ snapshot: true })) {
    const [child, parent] = key as [string, string];
    if (!env.dbs.content.get(parent)?.k.some(([, c]) => c.digest === child))
      problem('content', `edge ${parent} -> ${child} has no content record`);
  }
  for (const key of env.dbs.blobs.getKeys({ snapshot: true })) {
    if (!env.dbs.content.get(key as string)?.p)
      problem('content', `blob ${String(key)} has no content record`);
  }
  if (contentBytes > 0) bump(['contentBytes'], contentBytes);
  const collectable = new Set(garbage(env).digests);
  for (const digest of unreachableByFullMark(env)) {
    if (!collectable.has(digest))
      problem('content', `content ${digest} is unreachable but not queued for garbage collection`);
  }

  const keysPerNamespace = new Map<string, number>();
  for (const key of env.dbs.metadata.getKeys({ snapshot: true })) {
    const ns = (key as [string, string])[0];
    keysPerNamespace.set(ns, (keysPerNamespace.get(ns) ?? 0) + 1);
  }
  for (const [ns, n] of keysPerNamespace) bump(['meta', ns], n);

  const actualCounts = new Map<string, [Key, number]>();
  for (const { key, value } of env.dbs.counts.getRange({ snapshot: true }))
    actualCounts.set(encodeKey(key as Key).toString('hex'), [key as Key, value]);
  for (const [id, expected] of expectedCounts) {
    const actual = actualCounts.get(id)?.[1] ?? 0;
    if (actual !== expected)
      problem(
        'counts',
        `count ${JSON.stringify(actualCounts.get(id)?.[0] ?? decodeKey(Buffer.from(id, 'hex')))} is ${actual}, the records say ${expected}`,
      );
  }
  for (const [id, [key, value]] of actualCounts) {
    if (!expectedCounts.has(id))
      problem('counts', `count ${JSON.stringify(key)} is ${value}, the records say 0`);
  }

  return { ok: errors.length === 0, checkedImages, checkedContent, incomplete, errors };
}

/** Manifests, indexes and configs an image needs that are not stored (layers are recorded as descriptors only). */
export function missingMetadataBlobs(env: StoreEnv, target: Parameters<typeof contentTree>[1]): string[] {
  const missing: string[] = [];
  const walk = (node: ReturnType<typeof contentTree>) => {
    if (!node.present && node.role !== 'layer' && node.role !== 'blob' && node.role !== 'referrer')
      missing.push(node.descriptor.digest);
    node.children.forEach(walk);
  };
  walk(contentTree(env, target));
  return missing;
}
