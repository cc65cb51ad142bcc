import type { Digest } from '../../shared/digest';
import type { DamagedEntry, Descriptor, Detection, Labels, SourceKind } from '../../shared/types';

export type { DamagedEntry, Detection, SourceKind };

/*
 * The importers' contract. An importer reads one kind of source and hands back everything it found as an
 * `ImportBatch`, verified but not yet written; `commit.ts` writes a batch in one transaction (all of it or none of
 * it), so a failed or cancelled import leaves the store exactly as it was, and importing the same source twice
 * changes nothing the second time. Importers never import `electron` and never write to the source.
 */
/** A manifest, index or config to store: bytes already verified against `digest` and the descriptor's size. */
export interface ImportContent {
  digest: Digest;
  mediaType: string;
  bytes: Uint8Array;
  labels?: Labels;
}

export interface ImportImage {
  namespace: string;
  name: string;
  target: Descriptor;
  labels: Labels;
  /** ms since the epoch, when the source records it (containerd, Docker, Podman); now otherwise. */
  createdAt?: number;
  updatedAt?: number;
}

export interface ImportMetadata {
  namespace: string;
  key: string;
  value: Uint8Array;
}

/** A layer blob verified while reading, for `--keep-layers`: the importer copied it to `file` (a temp file). */
export interface ImportLayer {
  digest: Digest;
  size: number;
  file: string;
}

export interface ImportBatch {
  kind: SourceKind;
  content: ImportContent[];
  images: ImportImage[];
  metadata: ImportMetadata[];
  layers: ImportLayer[];
  /**
   * Live stores only: the sound entries are imported, and each damaged one is listed here. An image whose content is
   * missing or does not match is still imported (as incomplete, like `ctr images check`), without the bad blob.
   * A file handed in (archive, layout) is all or nothing: it throws instead.
   */
  damaged: DamagedEntry[];
  /** What the importer decided that the user should know ("bare tag stable named app:stable", "no manifest digest"). */
  notes: string[];
}

export interface ImportProgress {
  phase: string;
  /** Items (blobs, records) done so far, and the total when known. */
  items: number;
  totalItems?: number;
  bytes: number;
  totalBytes?: number;
}

export interface ReadOptions {
  /** Put every image into this namespace instead of the source's own (containerd keeps its namespaces otherwise). */
  namespace?: string;
  /** Copy verified layer blobs to temp files for `--keep-layers` (under `tempDir`). */
  keepLayers?: boolean;
  tempDir?: string;
  /** Checked between items and between chunks of large reads; an aborted read throws `cancelled`. */
  signal: AbortSignal;
  progress(update: ImportProgress): void;
}

export interface Importer {
  kind: SourceKind;
  /**
   * Cheap recognition from the path alone (a few small files read, never the whole source): the detection, or
   * undefined when the path is not this kind. Throws `invalid_argument` when it is this kind but unreadable/corrupt.
   */
  detect(path: string, options?: { namespace?: string }): Promise<Detection | undefined>;
  read(path: string, options: ReadOptions): Promise<ImportBatch>;
}

export const emptyBatch = (kind: SourceKind): ImportBatch => ({
  kind,
  content: [],
  images: [],
  metadata: [],
  layers: [],
  damaged: [],
  notes: [],
});
