import { z } from 'zod';
import {
  bytesSchema,
  cursorSchema,
  descriptorSchema,
  digestSchema,
  imageNameSchema,
  imageRefSchema,
  labelKeySchema,
  labelSelectorSchema,
  labelsSchema,
  limitSchema,
  mediaTypeSchema,
  metadataKeySchema,
  metadataPrefixSchema,
  namespaceSchema,
} from './schemas';
import type {
  CheckReport,
  ContentBlob,
  ContentInfo,
  DeleteResult,
  Detection,
  DiscoveredSource,
  ExportResult,
  ImportResult,
  MetadataExportResult,
  GcResult,
  ImageRecord,
  ImageRef,
  MetadataKeyInfo,
  MetadataFolders,
  MetadataNamespace,
  MetadataValue,
  NamespaceCount,
  Page,
  Platform,
  StoreInfo,
  TrashEntry,
  TreeNode,
} from './types';

/**
 * The API contract: every operation declared once, with its input schema and output type. The service implements
 * this map, and every transport (in-process, IPC, HTTP) is derived from it, so a renamed or reshaped operation
 * fails to compile everywhere at once.
 */
interface Operation<Input extends z.ZodType, Output> {
  input: Input;
  /** Writes are refused by a read-only server and bump the store's change counter. */
  writes: boolean;
  summary: string;
  /** Phantom: carries the output type for the derived `Api` type; never read at run time. */
  output?: Output;
}

const op =
  <Output>() =>
  <Input extends z.ZodType>(def: Omit<Operation<Input, Output>, 'output'>): Operation<Input, Output> =>
    def;

const imageFilterSchema = z.strictObject({
  name: z.string().max(255).optional(),
  labels: z.array(labelSelectorSchema).max(16).optional(),
  mediaType: mediaTypeSchema.optional(),
  dangling: z.boolean().optional(),
});

/** A namespace, or every namespace when absent. */
const scopeSchema = z.strictObject({
  namespace: namespaceSchema.optional(),
  filter: imageFilterSchema.optional(),
});

const emptyInput = z.strictObject({});

/** A path on the machine that runs the service (the app's main process, or the `imgmeta serve` host). */
const pathSchema = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => !p.includes('\0'), 'a path cannot contain NUL');

const importIdSchema = z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'letters, digits, . _ - (at most 100)');

export const operations = {
  'images.list': op<Page<ImageRecord>>()({
    summary: 'A page of image records, sorted and filtered; `offset` jumps, `cursor` continues.',
    writes: false,
    input: z.strictObject({
      namespace: namespaceSchema.optional(),
      filter: imageFilterSchema.optional(),
      sort: z.enum(['name', 'created', 'size']).default('name'),
      order: z.enum(['asc', 'desc']).default('asc'),
      cursor: cursorSchema.optional(),
      offset: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
      limit: limitSchema.default(100),
    }),
  }),
  'images.namespaces': op<NamespaceCount[]>()({
    summary: 'Every image namespace with its image and trash counts.',
    writes: false,
    input: emptyInput,
  }),
  'images.get': op<ImageRecord>()({
    summary: 'One image record.',
    writes: false,
    input: imageRefSchema.strict(),
  }),
  'images.create': op<ImageRecord>()({
    summary: 'A new image name; fails with already_exists if the name is taken.',
    writes: true,
    input: z.strictObject({
      namespace: namespaceSchema,
      name: imageNameSchema,
      target: descriptorSchema,
      labels: labelsSchema.default({}),
    }),
  }),
  'images.update': op<ImageRecord>()({
    summary: 'Replace the target and/or the whole label set of an image.',
    writes: true,
    input: z.strictObject({
      namespace: namespaceSchema,
      name: imageNameSchema,
      target: descriptorSchema.optional(),
      labels: labelsSchema.optional(),
    }),
  }),
  'images.labels': op<ImageRecord>()({
    summary: 'Set and remove individual labels of an image.',
    writes: true,
    input: z.strictObject({
      namespace: namespaceSchema,
      name: imageNameSchema,
      set: labelsSchema.default({}),
      remove: z.array(labelKeySchema).max(256).default([]),
    }),
  }),
  'images.tag': op<ImageRecord>()({
    summary: 'A new name for the target of an existing image.',
    writes: true,
    input: z.strictObject({ namespace: namespaceSchema, source: imageNameSchema, name: imageNameSchema }),
  }),
  'images.delete': op<DeleteResult>()({
    summary:
      'Move images to the trash (or purge them); pinned images need force; dryRun reports what would go.',
    writes: true,
    input: z.strictObject({
      images: z.array(imageRefSchema.strict()).max(1_000_000).optional(),
      /** Every image matching a filter, resolved inside the same transaction as the deletion. */
      matching: scopeSchema.optional(),
      /** With `matching`: images it matches that stay (a selection of "all but these"). */
      except: z.array(imageRefSchema.strict()).max(1_000_000).optional(),
      /**
       * At most this many names in the answer's `deleted` and `pinned` (their counts are always whole): a preview of
       * deleting a million images need not carry a million names. All of them by default.
       */
      names: z.number().int().min(0).max(1_000_000).optional(),
      dryRun: z.boolean().default(false),
      purge: z.boolean().default(false),
      force: z.boolean().default(false),
    }),
  }),
  'images.restore': op<ImageRecord[]>()({
    summary: 'Bring images back from the trash: by trash entry id, or the latest deletion of a name.',
    writes: true,
    input: z.strictObject({
      ids: z.array(z.string().max(600)).max(1_000_000).optional(),
      images: z.array(imageRefSchema.strict()).max(1_000_000).optional(),
      /** Everything one deletion moved to the trash and is still there (its answer's `deletion`): an undo. */
      deletion: z
        .string()
        .regex(/^[0-9]{1,15}$/, 'a deletion id is a number')
        .optional(),
    }),
  }),
  'trash.list': op<Page<TrashEntry>>()({
    summary: 'Deleted images, newest first.',
    writes: false,
    input: z.strictObject({
      namespace: namespaceSchema.optional(),
      cursor: cursorSchema.optional(),
      limit: limitSchema.default(100),
    }),
  }),
  'trash.purge': op<{ purged: number; reclaimedBytes: number }>()({
    summary:
      'Remove trash entries for good (all of them when no ids are given); content goes at the next GC.',
    writes: true,
    input: z.strictObject({
      ids: z.array(z.string().max(600)).max(1_000_000).optional(),
      dryRun: z.boolean().default(false),
    }),
  }),
  'content.get': op<ContentBlob>()({
    summary: 'A blob (manifest, index or config) with its info.',
    writes: false,
    input: z.strictObject({ digest: digestSchema }),
  }),
  'content.info': op<ContentInfo>()({
    summary: 'What the store knows of a blob, without its bytes.',
    writes: false,
    input: z.strictObject({ digest: digestSchema }),
  }),
  'content.platforms': op<Record<string, Platform[]>>()({
    summary:
      "The platforms of stored blobs, for a list's visible rows: an index's from its manifests, a manifest's from its config.",
    writes: false,
    input: z.strictObject({ digests: z.array(digestSchema).max(1000) }),
  }),
  'content.put': op<ContentInfo>()({
    summary: 'Store a manifest, index or config; its sha256 and size are verified.',
    writes: true,
    input: z.strictObject({
      bytes: bytesSchema,
      mediaType: mediaTypeSchema,
      digest: digestSchema.optional(),
      labels: labelsSchema.default({}),
    }),
  }),
  'content.tree': op<TreeNode>()({
    summary: "An image's content tree (or a blob's), every node flagged present or not stored.",
    writes: false,
    input: z.union([imageRefSchema.strict(), z.strictObject({ digest: digestSchema })]),
  }),
  'metadata.namespaces': op<MetadataNamespace[]>()({
    summary: 'Every metadata namespace with its key count.',
    writes: false,
    input: emptyInput,
  }),
  'metadata.list': op<Page<MetadataKeyInfo>>()({
    summary: 'Keys of a namespace by prefix, in key order.',
    writes: false,
    input: z.strictObject({
      namespace: namespaceSchema,
      prefix: metadataPrefixSchema.default(''),
      cursor: cursorSchema.optional(),
      offset: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
      limit: limitSchema.default(100),
    }),
  }),
  'metadata.folders': op<MetadataFolders>()({
    summary: 'The distinct next path segments (folders) under a prefix, found by seeking past each folder.',
    writes: false,
    input: z.strictObject({
      namespace: namespaceSchema,
      prefix: metadataPrefixSchema.default(''),
      limit: z.number().int().min(1).max(1000).default(200),
    }),
  }),
  'metadata.get': op<MetadataValue>()({
    summary: 'One value with its version.',
    writes: false,
    input: z.strictObject({ namespace: namespaceSchema, key: metadataKeySchema }),
  }),
  'metadata.set': op<MetadataKeyInfo>()({
    summary:
      'Replace a whole value atomically; with expectedVersion a stale writer gets conflict (0 = must not exist).',
    writes: true,
    input: z.strictObject({
      namespace: namespaceSchema,
      key: metadataKeySchema,
      value: bytesSchema,
      expectedVersion: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
    }),
  }),
  'metadata.delete': op<{ deleted: number }>()({
    summary: 'Delete one key; not_found if missing.',
    writes: true,
    input: z.strictObject({
      namespace: namespaceSchema,
      key: metadataKeySchema,
      expectedVersion: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
    }),
  }),
  'metadata.deletePrefix': op<{ deleted: number }>()({
    summary: 'Delete every key under a prefix in one transaction; returns the count.',
    writes: true,
    input: z.strictObject({
      namespace: namespaceSchema,
      prefix: metadataPrefixSchema,
      dryRun: z.boolean().default(false),
    }),
  }),
  'sources.detect': op<Detection>()({
    summary:
      'What a path holds (kind, namespaces, image and key counts), found from the path alone; nothing is written.',
    writes: false,
    input: z.strictObject({ path: pathSchema, namespace: namespaceSchema.optional() }),
  }),
  'sources.import': op<ImportResult>()({
    summary:
      'Import a source in one transaction (all or nothing); progress as import.progress events; dryRun reports what would change.',
    writes: true,
    input: z.strictObject({
      path: pathSchema,
      namespace: namespaceSchema.optional(),
      keepLayers: z.boolean().default(false),
      dryRun: z.boolean().default(false),
      id: importIdSchema.optional(),
    }),
  }),
  'sources.cancel': op<{ cancelled: boolean }>()({
    summary: 'Stop a running import by id; nothing of it is written.',
    writes: false,
    input: z.strictObject({ id: importIdSchema }),
  }),
  'sources.export': op<ExportResult>()({
    summary:
      'Write images as an OCI image layout into a new or empty directory; blobs the store lacks are listed.',
    writes: true,
    input: z.strictObject({ images: z.array(imageRefSchema.strict()).min(1).max(100_000), to: pathSchema }),
  }),
  'sources.exportMetadata': op<MetadataExportResult>()({
    summary: "Write a metadata namespace in the seed's file-per-key layout: <to>/<namespace>/<key>.",
    writes: true,
    input: z.strictObject({ namespace: namespaceSchema, to: pathSchema }),
  }),
  'sources.discover': op<DiscoveredSource[]>()({
    summary:
      'The sources at their standard places on this machine (Docker, containerd, Podman), readable or not.',
    writes: false,
    input: emptyInput,
  }),
  'gc.preview': op<GcResult>()({
    summary: 'What garbage collection would remove: content no image and no trash entry reaches.',
    writes: false,
    input: emptyInput,
  }),
  'gc.run': op<GcResult>()({
    summary: 'Remove content no image and no trash entry reaches.',
    writes: true,
    input: emptyInput,
  }),
  'store.info': op<StoreInfo>()({
    summary: 'Path, schema, counts, bytes on disk and the change counter.',
    writes: false,
    input: emptyInput,
  }),
  'store.check': op<CheckReport>()({
    summary: 'Verify indexes against records and content bytes against digests; list incomplete images.',
    writes: false,
    input: z.strictObject({ deep: z.boolean().default(false) }),
  }),
} as const;

export type Operations = typeof operations;
export type OperationName = keyof Operations;
export const operationNames = Object.keys(operations) as OperationName[];

/** What a caller passes (defaults may be omitted). */
export type OperationInput<N extends OperationName> = z.input<Operations[N]['input']>;
/** What the service receives after validation (defaults filled in). */
export type ParsedInput<N extends OperationName> = z.output<Operations[N]['input']>;
export type OperationOutput<N extends OperationName> = NonNullable<Operations[N]['output']>;

/** The one API type every caller uses: the renderer, the CLI, tests; each transport implements it. */
export type Api = { [N in OperationName]: (input: OperationInput<N>) => Promise<OperationOutput<N>> };

export type ImageRefInput = ImageRef;

export const isOperationName = (value: string): value is OperationName => Object.hasOwn(operations, value);
