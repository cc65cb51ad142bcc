import type { Digest } from './digest';
import type { ErrorCode } from './errors';

export type Namespace = string;
export type ImageName = string;

export interface Platform {
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
}

/** An OCI content descriptor: what an image name points at, and what a manifest points at. */
export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  annotations?: Record<string, string>;
  platform?: Platform;
  urls?: string[];
  artifactType?: string;
}

export type Labels = Record<string, string>;

export interface ImageRef {
  namespace: Namespace;
  name: ImageName;
}

/** containerd's image record: a name in a namespace pointing at a descriptor, with labels and times (ISO-8601). */
export interface ImageRecord extends ImageRef {
  target: Descriptor;
  labels: Labels;
  createdAt: string;
  updatedAt: string;
  /** Bytes of the target and every blob it reaches, as far as the stored descriptors tell. */
  totalSize: number;
}

export interface TrashEntry {
  /** Opaque id for restore/purge of this exact entry (a name may be deleted several times). */
  id: string;
  image: ImageRecord;
  deletedAt: string;
}

export type SortField = 'name' | 'created' | 'size';
export type SortOrder = 'asc' | 'desc';

export interface ImageFilter {
  /** Substring of the name. */
  name?: string;
  /** `k=v` selectors, all of which must match. */
  labels?: string[];
  mediaType?: string;
  dangling?: boolean;
}

/** A page of a list. `offset` is the position of the first item; `nextCursor` is absent on the last page. */
export interface Page<T> {
  items: T[];
  total: number;
  offset: number;
  nextCursor?: string;
}

export interface NamespaceCount {
  namespace: Namespace;
  images: number;
  trash: number;
}

export interface ContentInfo {
  digest: Digest;
  size: number;
  mediaType: string;
  labels: Labels;
  /** Descriptors this blob points at (index -> manifests, manifest -> config and layers, `subject`). */
  children: ContentChild[];
  createdAt: string;
}

export type ChildRole = 'manifest' | 'config' | 'layer' | 'subject' | 'blob';

export interface ContentChild {
  role: ChildRole;
  descriptor: Descriptor;
}

export interface ContentBlob {
  info: ContentInfo;
  bytes: Uint8Array;
}

/** One node of an image's content tree; `present` says whether the blob's bytes are in the store. */
export interface TreeNode {
  role: ChildRole | 'target' | 'referrer';
  descriptor: Descriptor;
  present: boolean;
  children: TreeNode[];
  /** Set when the walk stopped here: a cycle or the depth bound. */
  truncated?: 'cycle' | 'depth';
}

export interface MetadataNamespace {
  namespace: Namespace;
  keys: number;
}

export interface MetadataKeyInfo {
  key: string;
  size: number;
  version: number;
  updatedAt: string;
}

/** The folders directly under a prefix when keys are read as `/`-separated paths (`sha256/`, `v2metadata-by-diffid/`). */
export interface MetadataFolders {
  /** Full prefixes ending in `/`, in key order. */
  folders: string[];
  /**
   * False when the walk stopped early: at `limit` folders, or after reading a bounded number of plain keys between
   * folders (a folder holding a million keys is not scanned to find a folder sorted after them).
   */
  complete: boolean;
}

export interface MetadataValue extends MetadataKeyInfo {
  namespace: Namespace;
  value: Uint8Array;
}

export interface DeleteResult {
  /** The images deleted (or that would be): all of them, or the first `names` asked for; pinned ones first. */
  deleted: ImageRef[];
  /** How many images are deleted, whatever `deleted` lists. */
  count: number;
  /** Bytes that garbage collection frees once these are gone from the trash; content other images share is kept. */
  reclaimedBytes: number;
  dryRun: boolean;
  purged: boolean;
  /** Pinned images among the request (with `force` they are deleted too): all, or the first `names`. */
  pinned: ImageRef[];
  pinnedCount: number;
  /** What `images.restore {deletion}` takes to bring back exactly these (absent for dry runs and purges). */
  deletion?: string;
}

export interface GcResult {
  digests: Digest[];
  bytes: number;
  dryRun: boolean;
}

export interface CheckProblem {
  kind: 'index' | 'content' | 'trash' | 'counts' | 'record';
  message: string;
}

export interface IncompleteImage extends ImageRef {
  missing: Digest[];
}

export interface CheckReport {
  ok: boolean;
  checkedImages: number;
  checkedContent: number;
  incomplete: IncompleteImage[];
  errors: CheckProblem[];
}

export interface StoreInfo {
  path: string;
  schema: number;
  changeSeq: number;
  bytesOnDisk: number;
  images: number;
  namespaces: number;
  trash: number;
  content: number;
  contentBytes: number;
  metadataNamespaces: number;
  metadataKeys: number;
  /** Whether the service refuses writes (`imgmeta serve --read-only`). */
  readOnly: boolean;
}

export interface ErrorEnvelope {
  ok: false;
  error: { code: ErrorCode; message: string };
}

// ---- sources: import and export ---------------------------------------------------------------------------

export type SourceKind =
  | 'oci-layout'
  | 'oci-archive'
  | 'docker-archive'
  | 'containerd'
  | 'docker'
  | 'containers-storage'
  | 'skopeo-dir'
  | 'metadata-dir';

/** What a source holds, found from the path before anything is written (`imgmeta import --dry-run`, the app's summary). */
export interface Detection {
  kind: SourceKind;
  /** Absolute path of the source as given (a meta.db's root directory is reported, not the file). */
  path: string;
  /** Human description: "OCI image layout", "docker save archive (with an OCI layout inside)", ... */
  description: string;
  /** Namespaces images would land in (after any override). */
  namespaces: string[];
  /** Image names the source holds (an estimate where counting would mean reading everything). */
  images: number;
  /** Metadata keys (Docker's distribution store, a file-per-key directory). */
  metadataKeys: number;
  /** Anything the user should know before confirming ("bare tags are named after the directory", ...). */
  notes: string[];
}

/** An entry of a live store (containerd, Docker, Podman) that could not be imported whole, and why. */
export interface DamagedEntry {
  namespace?: string;
  name?: string;
  digest?: Digest;
  reason: string;
}

/** What an import did (or, with dryRun, would do): one transaction, all of it or none of it. */
export interface ImportResult {
  /** The id progress events and `sources.cancel` use. */
  id: string;
  kind: SourceKind;
  path: string;
  dryRun: boolean;
  namespaces: string[];
  images: { created: ImageRef[]; updated: ImageRef[]; unchanged: number };
  content: { added: number; present: number };
  metadata: { set: number; unchanged: number };
  /** Layer blobs kept beside the store (`keepLayers`). */
  layers: { kept: number };
  damaged: DamagedEntry[];
  notes: string[];
}

export interface ExportResult {
  path: string;
  images: number;
  blobs: number;
  bytes: number;
  /** Blobs the images reach that the store does not hold (usually layers): listed, never silently left out. */
  missing: Descriptor[];
}

export interface MetadataExportResult {
  path: string;
  written: number;
}

/** A source at its standard place on this machine (Docker's and containerd's data roots, Podman's storage). */
export interface DiscoveredSource {
  path: string;
  kind: SourceKind;
  /** Readable by this process; when not, `reason` says why (usually permissions: run as the owner or root). */
  readable: boolean;
  reason?: string;
  detection?: Detection;
}
