import { basename } from 'node:path';
import type { Digest } from '../../shared/digest';
import { invalidArgument } from '../../shared/errors';
import { isImageName } from '../../shared/reference';
import { descriptorSchema, limits, namespaceSchema } from '../../shared/schemas';
import type { Descriptor } from '../../shared/types';
import { check } from '../../shared/validate';
import type { ImportContent, ImportImage, ImportLayer, ImportProgress } from './types';
import { throwIfAborted } from './verify';

/**
 * Walking an OCI image layout (a directory, or the same inside a tar) from its `index.json`, through a blob getter
 * that verifies every read. Used by the directory importer and the archive importer alike.
 */

export const mediaTypes = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
} as const;

export const annotations = {
  refName: 'org.opencontainers.image.ref.name',
  containerdName: 'io.containerd.image.name',
  /**
   * On a layout's index.json: how many layer blobs its writer (`imgmeta export`) left out because the store did not
   * hold them. A layout that says so may lack layers, and only layers; one that does not is refused when it does.
   */
  absentLayers: 'imgmeta.absent-layers',
} as const;

/** Where the blobs of a layout come from. Every answer is verified against the descriptor asked for. */
export interface LayoutBlobs {
  /** Whole bytes of a blob the store will keep (manifest, index, config); throws invalid_argument when absent/wrong. */
  small(descriptor: Descriptor, what: string): Promise<Uint8Array>;
  /**
   * Verifies a blob that is not stored (a layer) whole; `present: false` when the layout lacks it. With
   * `--keep-layers` the verified bytes are also in `file`.
   */
  large(descriptor: Descriptor, what: string): Promise<{ present: false } | { present: true; file?: string }>;
}

export interface WalkOptions {
  /** The layout's name for messages: `./layout`, `app.tar`. */
  where: string;
  namespace: string;
  /** The repository name bare tags and unnamed entries are given (from the directory or file name). */
  derivedName: string;
  /** What the derived name comes from, for the notes: "directory name", "file name". */
  derivedFrom: string;
  signal: AbortSignal;
  progress(update: ImportProgress): void;
  /** The layout declares layers absent (annotations.absentLayers): a missing layer is noted, not refused. */
  absentLayersDeclared?: boolean;
}

export interface WalkResult {
  content: ImportContent[];
  images: ImportImage[];
  layers: ImportLayer[];
  notes: string[];
}

/** Nested indexes deeper than this are refused (real ones are 1 or 2 deep). */
export const maxDepth = 8;
/** Manifests, indexes and configs in one layout. */
const maxBlobs = 100_000;
const tagPattern = /^[\w][\w.-]{0,127}$/;
const jsonMediaType = /\+json$|^application\/json$/;

/** Parses a descriptor the way the store will (so that what we hand over is what it stores), or says where it fails. */
export function parseDescriptor(value: unknown, where: string): Descriptor {
  const checked = check(descriptorSchema, value);
  if (!checked.ok) throw invalidArgument(`${where}: invalid descriptor: ${checked.problem}`);
  return checked.data as Descriptor;
}

export function parseJson(bytes: Uint8Array, where: string): unknown {
  try {
    return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (err) {
    throw invalidArgument(`${where}: not valid JSON (${(err as Error).message})`);
  }
}

export const isJsonMediaType = (mediaType: string) => jsonMediaType.test(mediaType);

/** The top-level entries of an `index.json`, each a checked descriptor. */
export const parseIndexJson = (bytes: Uint8Array, where: string): Descriptor[] =>
  manifestsOf(indexDocument(bytes, where), where);

function indexDocument(bytes: Uint8Array, where: string): Record<string, unknown> {
  const doc = parseJson(bytes, where);
  if (!doc || typeof doc !== 'object' || Array.isArray(doc))
    throw invalidArgument(`${where}: not a JSON object`);
  return doc as Record<string, unknown>;
}

function manifestsOf(doc: Record<string, unknown>, where: string): Descriptor[] {
  const manifests = doc.manifests;
  if (manifests === undefined) return [];
  if (!Array.isArray(manifests)) throw invalidArgument(`${where}: "manifests" must be an array`);
  if (manifests.length > maxBlobs) throw invalidArgument(`${where}: more than ${maxBlobs} manifests`);
  return manifests.map((m, i) => parseDescriptor(m, `${where} manifests[${i}]`));
}

/** Checks an `oci-layout` file: `{"imageLayoutVersion": "1.x"}`. */
export function checkLayoutFile(bytes: Uint8Array, where: string): void {
  const doc = parseJson(bytes, where);
  const version =
    doc && typeof doc === 'object' && !Array.isArray(doc)
      ? (doc as Record<string, unknown>).imageLayoutVersion
      : undefined;
  if (typeof version !== 'string') throw invalidArgument(`${where}: no imageLayoutVersion`);
  if (!/^1\.\d+\.\d+$/.test(version))
    throw invalidArgument(`${where}: image layout version ${JSON.stringify(version)} is not supported (1.x)`);
}

/**
 * A repository name from a directory or file name, sanitized to the reference grammar (lowercase path component):
 * `My App (2).tar.gz` -> `my-app-2`. `imported` when nothing usable remains.
 */
export function derivedName(path: string): string {
  let base = basename(path.replace(/[\\/]+$/, '')).toLowerCase();
  base = base.replace(/(\.tar\.gz|\.tgz|\.tar|\.gz|\.oci)+$/, '');
  const cleaned = base
    .replace(/[^a-z0-9._-]+/g, '-')
    // Separators allowed between alphanumerics: ".", "_", "__", or dashes; anything else becomes one dash.
    .replace(/[._-]+/g, (run) => (run === '.' || run === '_' || run === '__' || /^-+$/.test(run) ? run : '-'))
    .replace(/^[._-]+/, '')
    .slice(0, 100)
    .replace(/[._-]+$/, '');
  return cleaned === '' || !isImageName(cleaned) ? 'imported' : cleaned;
}

export type NameSource = 'annotation' | 'tag' | 'digest';

/**
 * The image name of a top-level `index.json` entry: `io.containerd.image.name`, else a full
 * `org.opencontainers.image.ref.name` (one holding `/`, `:` or `@`, as containerd decides), else a bare tag under
 * the derived name, else `<derived>@<digest>`. A name that cannot be stored is an error: never silently altered.
 */
export function entryName(
  descriptor: Descriptor,
  derived: string,
  where: string,
): { name: string; source: NameSource; tag?: string } {
  const a = descriptor.annotations ?? {};
  const containerd = a[annotations.containerdName];
  if (containerd !== undefined && containerd !== '') {
    if (!isImageName(containerd))
      throw invalidArgument(
        `${where}: ${annotations.containerdName} ${JSON.stringify(containerd)} is not a valid image name`,
      );
    return { name: containerd, source: 'annotation' };
  }
  const ref = a[annotations.refName];
  if (ref !== undefined && ref !== '') {
    if (/[/:@]/.test(ref)) {
      if (!isImageName(ref))
        throw invalidArgument(
          `${where}: ${annotations.refName} ${JSON.stringify(ref)} is not a valid image name`,
        );
      return { name: ref, source: 'annotation' };
    }
    if (!tagPattern.test(ref))
      throw invalidArgument(
        `${where}: ${annotations.refName} ${JSON.stringify(ref)} is neither a reference nor a tag`,
      );
    return { name: `${derived}:${ref}`, source: 'tag', tag: ref };
  }
  return { name: `${derived}@${descriptor.digest}`, source: 'digest' };
}

/** For detection: how many names an index gives and what the user should know about them. */
export function describeIndex(entries: Descriptor[], derived: string, where: string, derivedFrom: string) {
  const names = new Set<string>();
  const tags: string[] = [];
  let unnamed = 0;
  entries.forEach((entry, i) => {
    const named = entryName(entry, derived, `${where} manifests[${i}]`);
    names.add(named.name);
    if (named.source === 'tag') tags.push(named.tag!);
    if (named.source === 'digest') unnamed++;
  });
  const notes: string[] = [];
  if (tags.length > 0)
    notes.push(`bare tags (${tags.join(', ')}) are named after the ${derivedFrom}: ${derived}:<tag>`);
  if (unnamed > 0)
    notes.push(
      `${unnamed} entr${unnamed === 1 ? 'y has' : 'ies have'} no name: imported as ${derived}@<digest> (referrers with a subject are stored as content only)`,
    );
  return { images: names.size, notes };
}

/** A descriptor without the naming annotations: the name lives in the image record, not in its target. */
export function withoutNameAnnotations(descriptor: Descriptor): Descriptor {
  if (!descriptor.annotations) return descriptor;
  const rest = { ...descriptor.annotations };
  delete rest[annotations.refName];
  delete rest[annotations.containerdName];
  const { annotations: _dropped, ...bare } = descriptor;
  return Object.keys(rest).length > 0 ? { ...bare, annotations: rest } : bare;
}

export function checkNamespace(namespace: string): string {
  const checked = check(namespaceSchema, namespace);
  if (!checked.ok) throw invalidArgument(`namespace ${JSON.stringify(namespace)}: ${checked.problem}`);
  return namespace;
}

export type ChildRole = 'manifest' | 'config' | 'layer' | 'blob' | 'subject';

/**
 * The descriptors a manifest-like JSON document points at, with the same rules the store applies when it records
 * children (`childrenOfBlob`): only documents with `manifests`, `layers`, `blobs` or a `config` descriptor count.
 */
export function childrenOf(doc: unknown, where: string): [ChildRole, Descriptor, string][] {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return [];
  const d = doc as Record<string, unknown>;
  const isManifestLike =
    'manifests' in d ||
    'layers' in d ||
    'blobs' in d ||
    (typeof d.config === 'object' && d.config !== null && 'digest' in (d.config as object));
  if (!isManifestLike) return [];
  const children: [ChildRole, Descriptor, string][] = [];
  const list = (role: ChildRole, field: string) => {
    const value = d[field];
    if (value === undefined) return;
    if (!Array.isArray(value)) throw invalidArgument(`${where}: "${field}" must be an array`);
    if (value.length > maxBlobs) throw invalidArgument(`${where}: more than ${maxBlobs} ${field}`);
    value.forEach((item, i) =>
      children.push([role, parseDescriptor(item, `${where} ${field}[${i}]`), `${field}[${i}]`]),
    );
  };
  list('manifest', 'manifests');
  if (d.config !== undefined)
    children.push(['config', parseDescriptor(d.config, `${where} config`), 'config']);
  list('layer', 'layers');
  list('blob', 'blobs');
  if (d.subject !== undefined)
    children.push(['subject', parseDescriptor(d.subject, `${where} subject`), 'subject']);
  return children;
}

/**
 * Reads every manifest, index and config the index reaches (stored as content, verified), verifies every layer
 * (foreign layers with `urls` may be absent), and names the images. Throws invalid_argument on anything missing or
 * wrong: a file handed in is all or nothing.
 */
export async function walkLayout(
  blobs: LayoutBlobs,
  indexBytes: Uint8Array,
  options: WalkOptions,
): Promise<WalkResult> {
  const { entries, absentLayersDeclared } = parseLayoutIndex(indexBytes, options.where);
  return walkEntries(blobs, entries, { ...options, absentLayersDeclared });
}

/**
 * A layout's `index.json`, parsed once: its top-level entries named for messages, and whether it declares layers
 * absent (annotations.absentLayers, what `imgmeta export` writes when it left some out).
 */
export function parseLayoutIndex(
  indexBytes: Uint8Array,
  where: string,
): { entries: WalkEntry[]; absentLayersDeclared: boolean } {
  const doc = indexDocument(indexBytes, `${where}: index.json`);
  const entries = manifestsOf(doc, `${where}: index.json`).map((descriptor, i) => ({
    descriptor,
    what: `index.json manifests[${i}]`,
  }));
  const notes = doc.annotations;
  const absentLayersDeclared =
    !!notes &&
    typeof notes === 'object' &&
    typeof (notes as Record<string, unknown>)[annotations.absentLayers] === 'string';
  return { entries, absentLayersDeclared };
}

/** A top-level descriptor to walk and name, with what messages call it: `index.json manifests[0]`, `manifest.json`. */
export interface WalkEntry {
  descriptor: Descriptor;
  what: string;
}

/** walkLayout's work, from top-level descriptors however the source lists them. */
export async function walkEntries(
  blobs: LayoutBlobs,
  entries: WalkEntry[],
  options: WalkOptions,
): Promise<WalkResult> {
  const { where, signal } = options;
  const namespace = checkNamespace(options.namespace);
  const content = new Map<Digest, ImportContent>();
  /** Digests walked so far, with whether the document names a `subject` (a referrer). */
  const walked = new Map<Digest, { referrer: boolean }>();
  const pending = new Map<Digest, { descriptor: Descriptor; what: string; layer: boolean }>();
  const notes: string[] = [];
  let items = 0;
  let bytes = 0;
  const report = () => options.progress({ phase: 'reading manifests', items, bytes });

  /** Every digest met so far with the size its first descriptor gave: two descriptors must agree. */
  const sizes = new Map<Digest, number>();
  const checkSize = (descriptor: Descriptor, what: string) => {
    const known = sizes.get(descriptor.digest);
    if (known === undefined) sizes.set(descriptor.digest, descriptor.size);
    else if (known !== descriptor.size)
      throw invalidArgument(
        `${where}: ${what}: ${descriptor.digest} is described with two sizes (${known} and ${descriptor.size})`,
      );
  };

  const readStored = async (descriptor: Descriptor, what: string): Promise<Uint8Array> => {
    if (descriptor.size > limits.valueBytes)
      throw invalidArgument(
        `${where}: ${what} ${descriptor.digest} is ${descriptor.size} bytes; manifests, indexes and configs larger than ${limits.valueBytes} bytes cannot be stored`,
      );
    throwIfAborted(signal);
    if (content.size >= maxBlobs)
      throw invalidArgument(`${where}: more than ${maxBlobs} manifests and configs`);
    const data = await blobs.small(descriptor, what);
    // The store parses JSON content for its children when it keeps it: check now what it would refuse then.
    if (isJsonMediaType(descriptor.mediaType))
      childrenOf(
        parseJson(data, `${where}: ${what} ${descriptor.digest}`),
        `${where}: ${what} ${descriptor.digest}`,
      );
    content.set(descriptor.digest, {
      digest: descriptor.digest,
      mediaType: descriptor.mediaType,
      bytes: data,
    });
    items++;
    bytes += data.byteLength;
    report();
    return data;
  };

  const queueBlob = (descriptor: Descriptor, what: string, layer = false) => {
    checkSize(descriptor, what);
    if (!pending.has(descriptor.digest) && !content.has(descriptor.digest))
      pending.set(descriptor.digest, { descriptor, what, layer });
  };

  const walk = async (
    descriptor: Descriptor,
    what: string,
    depth: number,
  ): Promise<{ referrer: boolean }> => {
    checkSize(descriptor, what);
    const seen = walked.get(descriptor.digest);
    if (seen) return seen;
    if (depth > maxDepth) throw invalidArgument(`${where}: ${what}: indexes nested deeper than ${maxDepth}`);
    // A target or index child that is not JSON is an opaque blob: verified, described, not stored.
    if (!isJsonMediaType(descriptor.mediaType)) {
      queueBlob(descriptor, what);
      const result = { referrer: false };
      walked.set(descriptor.digest, result);
      return result;
    }
    const data = content.get(descriptor.digest)?.bytes ?? (await readStored(descriptor, what));
    pending.delete(descriptor.digest);
    const doc = parseJson(data, `${where}: ${what} ${descriptor.digest}`);
    const result = { referrer: false };
    walked.set(descriptor.digest, result);
    for (const [role, child, field] of childrenOf(doc, `${where}: ${what} ${descriptor.digest}`)) {
      const childWhat = `${what} > ${field}`;
      switch (role) {
        case 'manifest':
          await walk(child, childWhat, depth + 1);
          break;
        case 'config':
          checkSize(child, childWhat);
          if (content.has(child.digest)) break;
          if (child.size <= limits.valueBytes) await readStored(child, childWhat);
          else {
            notes.push(
              `${childWhat} ${child.digest} is larger than ${limits.valueBytes} bytes: verified, not stored`,
            );
            queueBlob(child, childWhat);
          }
          break;
        case 'layer':
          queueBlob(child, childWhat, true);
          break;
        case 'blob':
          queueBlob(child, childWhat);
          break;
        case 'subject':
          // The subject is another image's manifest: not part of this one. The store records the edge.
          result.referrer = true;
          break;
      }
    }
    return result;
  };

  const named: { what: string; descriptor: Descriptor; name: string; source: NameSource; tag?: string }[] =
    [];
  for (const { descriptor, what } of entries) {
    throwIfAborted(signal);
    const name = entryName(descriptor, options.derivedName, `${where}: ${what}`);
    const { referrer } = await walk(descriptor, what, 1);
    if (referrer && name.source === 'digest') continue;
    named.push({ what, descriptor, ...name });
  }
  const referrers = entries.length - named.length;
  if (referrers > 0)
    notes.push(
      `${referrers} unnamed referrer manifest${referrers === 1 ? '' : 's'} (with a subject) stored as content only, kept with ${referrers === 1 ? 'its subject' : 'their subjects'}`,
    );

  // Layers last: their number and bytes are known now, for the progress bar.
  const layers: ImportLayer[] = [];
  const toVerify = [...pending.values()];
  const totalBytes = toVerify.reduce((sum, { descriptor }) => sum + descriptor.size, 0);
  let verifiedBytes = 0;
  let done = 0;
  let declaredAbsent = 0;
  for (const { descriptor, what, layer } of toVerify) {
    throwIfAborted(signal);
    const found = await blobs.large(descriptor, what);
    done++;
    if (!found.present) {
      if (descriptor.urls && descriptor.urls.length > 0) {
        notes.push(
          `foreign layer ${descriptor.digest} (${what}, with urls) is not in the layout; kept as a descriptor`,
        );
        continue;
      }
      if (layer && options.absentLayersDeclared) {
        declaredAbsent++;
        continue;
      }
      throw invalidArgument(`${where}: blob ${descriptor.digest} (${what}) is missing from the layout`);
    }
    verifiedBytes += descriptor.size;
    if (found.file !== undefined)
      layers.push({ digest: descriptor.digest, size: descriptor.size, file: found.file });
    options.progress({
      phase: 'verifying layers',
      items: done,
      totalItems: toVerify.length,
      bytes: verifiedBytes,
      totalBytes,
    });
  }

  if (declaredAbsent > 0)
    notes.push(
      `${declaredAbsent} layer blob(s) are not in the layout, as its index.json says (${annotations.absentLayers}, written by imgmeta export): kept as descriptors`,
    );

  // One record per name; the same name twice is fine only when it means the same thing.
  const images = new Map<string, ImportImage>();
  for (const entry of named) {
    const existing = images.get(entry.name);
    if (existing) {
      if (existing.target.digest !== entry.descriptor.digest)
        throw invalidArgument(
          `${where}: index.json names two different manifests ${entry.name} (${existing.target.digest} and ${entry.descriptor.digest})`,
        );
      continue;
    }
    images.set(entry.name, {
      namespace,
      name: entry.name,
      target: withoutNameAnnotations(entry.descriptor),
      labels: {},
    });
    if (entry.source === 'tag')
      notes.push(
        `bare tag ${JSON.stringify(entry.tag)} (${entry.what}) imported as ${entry.name}, after the ${options.derivedFrom}`,
      );
    if (entry.source === 'digest')
      notes.push(
        `${entry.what} has no name: imported as ${entry.name}, after the ${options.derivedFrom} (\`imgmeta images tag\` gives it one)`,
      );
  }
  return { content: [...content.values()], images: [...images.values()], layers, notes };
}
