import { resolve } from 'node:path';
import { notFound } from '../../shared/errors';
import type { ExportResult, ImageRef, MetadataExportResult } from '../../shared/types';
import { getBlob } from '../store/content';
import { getStored } from '../store/images';
import { childrenOf, type Key } from '../store/keys';
import type { Store } from '../store/store';
import { exportLayout } from './export';
import { exportMetadata } from './metadata-export';

/** `sources.export`: the named images as an OCI image layout, every blob the store holds for them included. */
export async function exportImages(
  store: Store,
  input: { images: ImageRef[]; to: string },
): Promise<ExportResult> {
  // Resolve every name before writing anything: a typo fails the export, not half of it.
  const images = input.images.map((ref) => ({ name: ref.name, target: getStored(store.env, ref).t }));
  const blob = (digest: string): Uint8Array | undefined => {
    try {
      return getBlob(store.env, digest).bytes;
    } catch {
      return undefined;
    }
  };
  return exportLayout({ blob }, images, resolve(input.to), {
    signal: new AbortController().signal,
    progress: () => {},
  });
}

/** `sources.exportMetadata`: one namespace in the seed's file-per-key layout. */
export async function exportNamespace(
  store: Store,
  input: { namespace: string; to: string },
): Promise<MetadataExportResult> {
  if (store.env.count(['meta', input.namespace]) === 0)
    throw notFound(`metadata namespace ${input.namespace} holds no keys`);
  const entries = function* () {
    // A snapshot-free range: a namespace of a million keys is streamed to disk, never held in memory.
    for (const { key, value } of store.env.dbs.metadata.getRange({
      ...childrenOf([input.namespace]),
      snapshot: false,
    }))
      yield { key: (key as Key[])[1] as string, value: value.b };
  };
  return exportMetadata(entries(), input.namespace, resolve(input.to));
}
