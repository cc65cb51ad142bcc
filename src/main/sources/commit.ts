import { invalidArgument } from '../../shared/errors';
import type { ZodType } from 'zod';
import { check as checkInput } from '../../shared/validate';
import {
  descriptorSchema,
  labelsSchema,
  metadataKeySchema,
  namespaceSchema,
  imageNameSchema,
} from '../../shared/schemas';
import type { ImageRef, ImportResult } from '../../shared/types';
import type { StoreEnv, WriteContext } from '../store/env';
import { putContent } from '../store/content';
import { insertImage, updateImage } from '../store/images';
import { setValue } from '../store/metadata';
import type { ImportBatch, ImportImage } from './types';

export type CommitSummary = Pick<ImportResult, 'namespaces' | 'images' | 'content' | 'metadata'>;

/**
 * Writes one batch inside the caller's transaction: content first (so that image sizes see their trees), then image
 * records, then metadata. Idempotent: content already present, records with the same target and labels and values
 * with the same bytes are counted as unchanged and not rewritten. A name that exists with another target is updated;
 * labels the user set on it (a pin, say) are kept, the source's labels win where both set one.
 */
export function commitBatch(env: StoreEnv, ctx: WriteContext, batch: ImportBatch): CommitSummary {
  const summary: CommitSummary = {
    namespaces: [...new Set(batch.images.map((i) => i.namespace))].sort(),
    images: { created: [], updated: [], unchanged: 0 },
    content: { added: 0, present: 0 },
    metadata: { set: 0, unchanged: 0 },
  };

  for (const blob of batch.content) {
    if (env.dbs.content.get(blob.digest)?.p) summary.content.present++;
    else summary.content.added++;
    putContent(env, ctx, {
      bytes: blob.bytes,
      mediaType: blob.mediaType,
      digest: blob.digest,
      labels: blob.labels,
    });
  }

  for (const image of batch.images) {
    validate(image);
    const ref: ImageRef = { namespace: image.namespace, name: image.name };
    const existing = env.dbs.images.get([image.namespace, image.name]);
    if (!existing) {
      const createdAt = image.createdAt ?? ctx.now;
      insertImage(
        env,
        ctx,
        { ...ref, target: image.target, labels: image.labels },
        {
          createdAt,
          updatedAt: image.updatedAt ?? createdAt,
        },
      );
      summary.images.created.push(ref);
      continue;
    }
    const labels = { ...existing.l, ...image.labels };
    if (same(existing.t, image.target) && same(existing.l, labels)) {
      summary.images.unchanged++;
      continue;
    }
    updateImage(env, ctx, ref, { target: image.target, labels });
    summary.images.updated.push(ref);
  }

  for (const entry of batch.metadata) {
    check(namespaceSchema, entry.namespace, `metadata namespace ${JSON.stringify(entry.namespace)}`);
    check(metadataKeySchema, entry.key, `metadata key ${JSON.stringify(entry.key)}`);
    const current = env.dbs.metadata.get([entry.namespace, entry.key]);
    if (current && Buffer.compare(Buffer.from(current.b), Buffer.from(entry.value)) === 0) {
      summary.metadata.unchanged++;
      continue;
    }
    setValue(env, ctx, entry);
    summary.metadata.set++;
  }
  return summary;
}

/** The importers validate what they read; this is the last line, so that nothing unstorable reaches the indexes. */
function validate(image: ImportImage): void {
  const what = `image ${JSON.stringify(image.name)} in namespace ${JSON.stringify(image.namespace)}`;
  check(namespaceSchema, image.namespace, what);
  check(imageNameSchema, image.name, what);
  check(descriptorSchema, image.target, what);
  check(labelsSchema, image.labels, what);
}

function check(schema: ZodType, value: unknown, what: string) {
  const checked = checkInput(schema, value);
  if (!checked.ok)
    throw invalidArgument(`the source holds ${what}, which the store cannot keep: ${checked.problem}`);
}

/** Structural equality of JSON-shaped records (descriptors, label maps), independent of key order. */
function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  return value;
}
