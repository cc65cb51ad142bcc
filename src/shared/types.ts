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

export interface MetadataValue extends MetadataKeyInfo {
  namespace: Namespace;
  value: Uint8Array;
}

export interface DeleteResult {
  deleted: ImageRef[];
  /** Bytes that garbage collection frees once these are gone from the trash; content other images share is kept. */
  reclaimedBytes: number;
  dryRun: boolean;
  purged: boolean;
  /** Pinned images among the request (with `force` they are deleted too). */
  pinned: ImageRef[];
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
