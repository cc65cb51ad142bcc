import { z } from 'zod';
import { isDigest } from './digest';
import { isImageName, maxNameLength } from './reference';

/**
 * Validation of every domain primitive, used at each boundary (service, CLI, IPC, HTTP, importers).
 * Length bounds exist so that every LMDB key we build from these stays under lmdb-js's 1978-byte key limit:
 * the longest index key is a label index entry: namespace + label + name + framing.
 */
export const limits = {
  namespaceLength: 128,
  metadataKeyBytes: 1024,
  labelKeyBytes: 256,
  /** containerd's own bound on key=value; pairs longer than an index key can hold are indexed by hash. */
  labelBytes: 4096,
  labelsPerImage: 256,
  annotationBytes: 64 * 1024,
  /** Values and blobs stay far below the 16 MiB Electron memory cage limit (see design.md). */
  valueBytes: 8 * 1024 * 1024,
  pageSize: 1000,
} as const;

const utf8Length = (value: string) => new TextEncoder().encode(value).length;

// C0 (NUL included: lmdb-js keys cannot hold it), DEL and C1 controls, lone surrogates and the noncharacter U+FFFF.
const unprintable =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u001f\u007f-\u009f\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
export const isPrintable = (value: string) => !unprintable.test(value);

export const digestSchema = z
  .string()
  .refine(isDigest, { message: 'digest must be sha256:<64 lowercase hex> or sha512:<128 lowercase hex>' });

export const imageNameSchema = z
  .string()
  .min(1, 'image name must not be empty')
  .max(maxNameLength, `image name must be at most ${maxNameLength} characters`)
  .refine(isImageName, {
    message:
      'image name must be a reference ([domain/]path[:tag][@digest]), sha256:<hex> or name@sha256:<hex>',
  });

// RFC 6838 section 4.2: type "/" subtype, each 1-127 restricted-name characters starting with a letter or digit.
const mediaTypePattern = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;
export const mediaTypeSchema = z
  .string()
  .regex(
    mediaTypePattern,
    'media type must have the RFC 6838 shape type/subtype (e.g. application/vnd.oci.image.manifest.v1+json)',
  );

export const sizeSchema = z
  .number({ message: 'size must be a number' })
  .int('size must be an integer')
  .min(0, 'size must be >= 0')
  .max(Number.MAX_SAFE_INTEGER, 'size must be a safe integer');

// Namespaces become directory names on export and key prefixes here: keep them to containerd's identifier shape.
export const namespaceSchema = z
  .string()
  .min(1, 'namespace must not be empty')
  .max(limits.namespaceLength, `namespace must be at most ${limits.namespaceLength} characters`)
  .regex(
    /^[A-Za-z0-9]+(?:[._+-]+[A-Za-z0-9]+)*$/,
    'namespace must be letters and digits separated by . _ + or -',
  );

export const metadataKeySchema = z
  .string()
  .min(1, 'metadata key must not be empty')
  .refine((k) => utf8Length(k) <= limits.metadataKeyBytes, {
    message: `metadata key must be at most ${limits.metadataKeyBytes} bytes`,
  })
  .refine(isPrintable, { message: 'metadata key must be printable (no control characters)' });

/** A prefix may be empty (the whole namespace); otherwise it obeys the key rules. */
export const metadataPrefixSchema = z.union([z.literal(''), metadataKeySchema]);

export const labelKeySchema = z
  .string()
  .min(1, 'label key must not be empty')
  .refine((k) => utf8Length(k) <= limits.labelKeyBytes, {
    message: `label key must be at most ${limits.labelKeyBytes} bytes`,
  })
  .refine((k) => isPrintable(k) && !k.includes('='), {
    message: 'label key must be printable and must not contain =',
  });

/**
 * zod's record parsing silently drops a `__proto__` key; refuse it before the record is parsed so that nothing is
 * ever lost without an error.
 */
const withoutProtoKey = <T extends z.ZodType>(schema: T, what: string) =>
  z
    .custom<z.input<T>>(
      (value) => !(value && typeof value === 'object' && Object.hasOwn(value, '__proto__')),
      {
        message: `${what} key must not be __proto__`,
      },
    )
    .pipe(schema as unknown as z.ZodType<z.output<T>, z.input<T>>);

const labelRecordSchema = z
  .record(labelKeySchema, z.string().refine(isPrintable, { message: 'label value must be printable' }))
  .refine((labels) => Object.keys(labels).length <= limits.labelsPerImage, {
    message: `at most ${limits.labelsPerImage} labels per image`,
  })
  .refine(
    (labels) =>
      Object.entries(labels).every(([k, v]) => utf8Length(k) + utf8Length(v) + 1 <= limits.labelBytes),
    {
      message: `each label key=value must be at most ${limits.labelBytes} bytes`,
    },
  );

export const labelsSchema = withoutProtoKey(labelRecordSchema, 'label');

/** `k=v` as typed on a command line or in a filter box. */
export const labelSelectorSchema = z
  .string()
  .regex(/^[^=]+=.*$/s, 'label filter must be key=value')
  .refine((s) => utf8Length(s) <= limits.labelBytes && isPrintable(s), {
    message: 'label filter is too long or not printable',
  });

export const platformSchema = z.object({
  architecture: z.string().min(1).max(64),
  os: z.string().min(1).max(64),
  'os.version': z.string().max(256).optional(),
  'os.features': z.array(z.string().max(256)).max(64).optional(),
  variant: z.string().max(64).optional(),
});

export const annotationsSchema = withoutProtoKey(
  z
    .record(z.string().min(1).max(1024), z.string())
    .refine((a) => utf8Length(JSON.stringify(a)) <= limits.annotationBytes, {
      message: `annotations must be at most ${limits.annotationBytes} bytes`,
    }),
  'annotation',
);

export const descriptorSchema = z.object({
  mediaType: mediaTypeSchema,
  digest: digestSchema,
  size: sizeSchema,
  annotations: annotationsSchema.optional(),
  platform: platformSchema.optional(),
  urls: z.array(z.string().max(2048)).max(64).optional(),
  artifactType: mediaTypeSchema.optional(),
});

export const bytesSchema = z
  .custom<Uint8Array>((v) => v instanceof Uint8Array, { message: 'value must be bytes' })
  .refine((b) => b.byteLength <= limits.valueBytes, {
    message: `value must be at most ${limits.valueBytes} bytes`,
  });

export const imageRefSchema = z.object({ namespace: namespaceSchema, name: imageNameSchema });

export const cursorSchema = z
  .string()
  .max(4096)
  .regex(/^[A-Za-z0-9_-]*$/, 'cursor is not one this store issued');
export const limitSchema = z.number().int().min(1).max(limits.pageSize);
