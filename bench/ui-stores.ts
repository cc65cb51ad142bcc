// The stores `npm run bench:ui` opens: N images (bench/data.ts's generator, three namespaces) and N metadata keys
// (Docker's v2metadata-by-diffid shape), filled once through the store's own write path and cached under
// bench/cache/ (git-ignored) so that reruns start at once. A `filled.json` written last marks a complete store; a
// store without it (an interrupted fill) is removed and filled again.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { schemaVersion } from '../src/main/store/env';
import { createImage } from '../src/main/store/images';
import { setValues } from '../src/main/store/metadata';
import { Store } from '../src/main/store/store';
import { generateImages, generateMetadata, metadataNamespace } from './data';

/**
 * Bumped when what is generated or how the store lays it out changes, so that a stale cache is filled again: a cache
 * filled by an older build still opens (older layouts read), but its records are not what this build writes, and the
 * figures would be measured on them. 2: image records as arrays (image-codec.ts); 1 held lmdb-js's default records,
 * which decode ~4x slower. The store's schema is kept beside it for the same reason.
 */
const fillVersion = 2;
/** Records per durable transaction: bounded memory per commit on the 1M fill. */
const chunk = 250_000;

export const cacheDir = join(__dirname, '..', '..', 'bench', 'cache');

export interface FilledStore {
  path: string;
  images: number;
  keys: number;
  /** Seconds spent filling in this run (0 when the cache was used). */
  fillSeconds: number;
}

export function ensureStore(size: number, log: (line: string) => void = console.log): FilledStore {
  const path = join(cacheDir, `ui-${size}`);
  const marker = join(path, 'filled.json');
  if (existsSync(marker)) {
    const m = JSON.parse(readFileSync(marker, 'utf8')) as Partial<
      Record<'version' | 'schema' | 'images' | 'keys', number>
    >;
    if (m.version === fillVersion && m.schema === schemaVersion && m.images === size && m.keys === size)
      return { path, images: size, keys: size, fillSeconds: 0 };
  }
  rmSync(path, { recursive: true, force: true });
  mkdirSync(path, { recursive: true });
  const started = performance.now();
  const store = Store.open(join(path, 'store'));
  try {
    log(`bench:ui: filling ${size.toLocaleString('en-US')} images into ${path} (cached for the next run)...`);
    const { images } = generateImages(size, 0);
    for (let at = 0; at < images.length; at += chunk) {
      const part = images.slice(at, at + chunk);
      store.write((ctx) => {
        for (const i of part)
          createImage(
            store.env,
            ctx,
            { namespace: i.namespace, name: i.name, target: i.target, labels: i.labels },
            { createdAt: i.createdAt, updatedAt: i.updatedAt },
          );
      });
    }
    log(`bench:ui: filling ${size.toLocaleString('en-US')} metadata keys...`);
    const keys = generateMetadata(size);
    for (let at = 0; at < keys.length; at += chunk) {
      const part = keys.slice(at, at + chunk);
      store.write((ctx) =>
        setValues(
          store.env,
          ctx,
          metadataNamespace,
          part.map((k) => [k.key, k.value]),
        ),
      );
    }
  } finally {
    store.close();
  }
  const fillSeconds = (performance.now() - started) / 1000;
  writeFileSync(
    marker,
    JSON.stringify({ version: fillVersion, schema: schemaVersion, images: size, keys: size }),
  );
  log(`bench:ui: filled in ${fillSeconds.toFixed(0)} s`);
  return { path, images: size, keys: size, fillSeconds };
}

export const storePath = (filled: FilledStore) => join(filled.path, 'store');
