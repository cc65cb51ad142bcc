import { failedPrecondition, invalidArgument } from '../shared/errors';
import {
  operationNames,
  operations,
  type Api,
  type OperationName,
  type OperationOutput,
  type ParsedInput,
} from '../shared/operations';
import { parseInput } from '../shared/validate';
import { checkStore } from './store/check';
import { contentTree, getBlob, getInfo, platformsOf, putContent } from './store/content';
import type { Platform } from '../shared/types';
import { collect, garbage } from './store/gc';
import { createImage, editLabels, getImage, getStored, tagImage, updateImage } from './store/images';
import {
  deletePrefix,
  deleteValue,
  getValue,
  listFolders,
  listKeys,
  namespaces as metadataNamespaces,
  setValue,
} from './store/metadata';
import { listTrash, purgeTrash, restoreImages } from './store/trash';
import { discoverSources } from './sources/discover';
import { Imports } from './sources/imports';
import { exportImages, exportNamespace } from './sources/store-export';
import type { ImportProgressEvent } from '../shared/events';
import type { Store } from './store/store';

type Handlers = {
  [N in OperationName]: (input: ParsedInput<N>) => OperationOutput<N> | Promise<OperationOutput<N>>;
};

/** One function per declared operation, over the store; transport-free. Inputs arrive validated. */
function handlers(store: Store, readOnly: boolean, imports: Imports): Handlers {
  const env = store.env;
  return {
    'images.list': (q) => store.listImages(q),
    'images.namespaces': () => store.imageNamespaces(),
    'images.get': (ref) => getImage(env, ref),
    'images.create': (input) => store.write((ctx) => createImage(env, ctx, input)),
    'images.update': ({ namespace, name, target, labels }) => {
      if (target === undefined && labels === undefined)
        throw invalidArgument('images.update: give a target, labels or both');
      return store.write((ctx) => updateImage(env, ctx, { namespace, name }, { target, labels }));
    },
    'images.labels': ({ namespace, name, set, remove }) =>
      store.write((ctx) => editLabels(env, ctx, { namespace, name }, set, remove)),
    'images.tag': ({ namespace, source, name }) =>
      store.write((ctx) => tagImage(env, ctx, namespace, source, name)),
    'images.delete': ({ images, matching, except, names, dryRun, purge, force }) => {
      if (images === undefined && matching === undefined)
        throw invalidArgument('images.delete: give images, matching or both');
      if (except !== undefined && matching === undefined)
        throw invalidArgument('images.delete: except narrows matching; give matching too');
      return store.deleteImages({ images, matching, except, names, dryRun, purge, force });
    },
    'images.restore': (input) => store.write((ctx) => restoreImages(env, ctx, input)),
    'trash.list': (q) => listTrash(env, q),
    'trash.purge': (input) =>
      input.dryRun ? purgeTrash(env, undefined, input) : store.write((ctx) => purgeTrash(env, ctx, input)),
    'content.get': ({ digest }) => getBlob(env, digest),
    'content.info': ({ digest }) => getInfo(env, digest),
    'content.platforms': ({ digests }) => {
      const found: Record<string, Platform[]> = {};
      for (const digest of digests) {
        const platforms = platformsOf(env, digest);
        if (platforms) found[digest] = platforms;
      }
      return found;
    },
    'content.put': (input) => store.write((ctx) => putContent(env, ctx, input)),
    'content.tree': (input) =>
      contentTree(env, 'digest' in input ? descriptorOf(store, input.digest) : getStored(env, input).t),
    'metadata.namespaces': () => metadataNamespaces(env),
    'metadata.list': (q) => listKeys(env, store.positions, q),
    'metadata.folders': (q) => listFolders(env, q),
    'metadata.get': ({ namespace, key }) => getValue(env, namespace, key),
    'metadata.set': (input) => store.write((ctx) => setValue(env, ctx, input)),
    'metadata.delete': async (input) => ({
      deleted: await store.write((ctx) => deleteValue(env, ctx, input)),
    }),
    'metadata.deletePrefix': async (input) => ({
      deleted: input.dryRun
        ? deletePrefix(env, undefined, input)
        : await store.write((ctx) => deletePrefix(env, ctx, input)),
    }),
    'sources.detect': ({ path, namespace }) => imports.detect(path, namespace),
    'sources.import': (input) => imports.run(input),
    'sources.cancel': ({ id }) => ({ cancelled: imports.cancel(id) }),
    'sources.export': (input) => exportImages(store, input),
    'sources.exportMetadata': (input) => exportNamespace(store, input),
    'sources.discover': () => discoverSources(),
    'gc.preview': () => garbage(env),
    'gc.run': () => store.write((ctx) => collect(env, ctx)),
    'store.info': () => ({ ...store.info(), readOnly }),
    'store.check': ({ deep }) => checkStore(env, { deep }),
  };
}

function descriptorOf(store: Store, digest: string) {
  const info = getInfo(store.env, digest);
  return { mediaType: info.mediaType, digest, size: info.size };
}

export type Service = Api;

export interface ServiceOptions {
  /** Refuse every operation declared as writing (`imgmeta serve --read-only`), before it validates or runs. */
  readOnly?: boolean;
  /** Where import progress goes (the app's and the server's EventHub); nowhere by default. */
  onImportProgress?: (event: ImportProgressEvent) => void;
}

/** The API over a store: every operation validates its input with its declared schema, then runs. */
export function createService(store: Store, options: ServiceOptions = {}): Service {
  // A store this user cannot write was opened read-only (Store.openAsAllowed): its writes are refused the same way.
  const readOnly = (options.readOnly ?? false) || store.readOnly;
  const why = options.readOnly
    ? 'the store is served read-only'
    : `the store at ${store.path} is open read-only: this user cannot write it (a read-only filesystem or its permissions)`;
  const impl = handlers(store, readOnly, new Imports(store, options.onImportProgress));
  const service = {} as Record<OperationName, (input: unknown) => Promise<unknown>>;
  for (const name of operationNames) {
    const run = impl[name] as (input: unknown) => unknown;
    service[name] =
      readOnly && operations[name].writes
        ? async () => {
            throw failedPrecondition(`${name}: ${why}`);
          }
        : async (input: unknown) => run(parseInput(name, input));
  }
  return service as unknown as Service;
}
