import { useSyncExternalStore } from 'react';
import { ImgmetaError } from '../../shared/errors';
import type { ImportProgressEvent } from '../../shared/events';
import type { Client } from '../../shared/transport';
import type { Detection, ImportResult } from '../../shared/types';
import { navigate } from './router';

/**
 * The Import view's state, kept outside the view so that it survives a trip elsewhere: follow a link of the result
 * to an image and come Back to the same summary, or leave a running import and come back to its progress. Also the
 * way in from outside the view: a file dropped on the window and File > Import... hand it a path to check.
 */
export type CheckState =
  | { status: 'idle' }
  | { status: 'checking'; path: string }
  | { status: 'detected'; detection: Detection }
  | { status: 'failed'; path: string; error: unknown };

export type RunState =
  | {
      status: 'running';
      id: string;
      dryRun: boolean;
      progress?: ImportProgressEvent;
      cancelling: boolean;
      /** Why the last Cancel did not go through. */
      cancelError?: unknown;
    }
  | { status: 'done'; result: ImportResult }
  | { status: 'cancelled'; dryRun: boolean }
  | { status: 'failed'; dryRun: boolean; error: unknown };

export interface ImportSession {
  /** What the Source path field holds. */
  path: string;
  /** The namespace override field (empty: the source's own namespaces). */
  namespace: string;
  keepLayers: boolean;
  check: CheckState;
  run?: RunState;
  /** Why a drop could not be used (a browser gives no paths), shown by the path field until the next check. */
  notice?: string;
  /** The check came from elsewhere (a drop, the menu, a discovered source): focus its outcome once it arrives. */
  reveal: boolean;
}

const initial: ImportSession = {
  path: '',
  namespace: '',
  keepLayers: false,
  check: { status: 'idle' },
  reveal: false,
};

let session = initial;
const listeners = new Set<() => void>();

function update(change: Partial<ImportSession>): void {
  session = { ...session, ...change };
  for (const listener of [...listeners]) listener();
}

const subscribe = (listener: () => void) => {
  listeners.add(listener);
  return () => listeners.delete(listener);
};

export function useImportSession(): ImportSession {
  return useSyncExternalStore(subscribe, () => session);
}

export const setSourcePath = (path: string) => update({ path });
export const setNamespaceOverride = (namespace: string) => update({ namespace });
export const setKeepLayers = (keepLayers: boolean) => update({ keepLayers });
/** The view moved focus to a revealed check's outcome. */
export const revealed = () => update({ reveal: false });

const running = () => session.run?.status === 'running';

let checkSeq = 0;

/** `sources.detect` for a path: the summary, or the error with its code. A later check wins over an earlier one. */
export async function checkSource(
  api: Client,
  path: string,
  options: { reveal?: boolean } = {},
): Promise<void> {
  const trimmed = path.trim();
  if (trimmed === '') return;
  const seq = ++checkSeq;
  update({
    path: trimmed,
    check: { status: 'checking', path: trimmed },
    notice: undefined,
    // A finished import's summary belongs to the source before; a running one stays on screen.
    run: running() ? session.run : undefined,
    reveal: options.reveal ?? false,
  });
  try {
    const detection = await api['sources.detect']({ path: trimmed });
    if (seq === checkSeq) update({ check: { status: 'detected', detection } });
  } catch (error) {
    if (seq === checkSeq) update({ check: { status: 'failed', path: trimmed, error } });
  }
}

/** An id the import's progress events and `sources.cancel` use; chosen here so that Cancel works at once. */
export function newImportId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  // randomUUID exists only in secure contexts: `imgmeta serve --host 0.0.0.0` opened by address over plain HTTP.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Runs `sources.import` (or its dry run) for the detected source, with progress from `import.progress` events
 * carrying this import's id. A cancel ends it with the code `cancelled`, and nothing was written.
 */
export async function startImport(api: Client, dryRun: boolean): Promise<void> {
  if (session.check.status !== 'detected' || running()) return;
  const { detection } = session.check;
  const id = newImportId();
  const namespace = session.namespace.trim() || undefined;
  update({ run: { status: 'running', id, dryRun, cancelling: false } });
  const off = api.on('import.progress', (progress) => {
    const run = session.run;
    if (run?.status === 'running' && run.id === id && progress.id === id)
      update({ run: { ...run, progress } });
  });
  try {
    const result = await api['sources.import']({
      path: detection.path,
      namespace,
      keepLayers: session.keepLayers,
      dryRun,
      id,
    });
    update({ run: { status: 'done', result } });
  } catch (error) {
    update({
      run:
        error instanceof ImgmetaError && error.code === 'cancelled'
          ? { status: 'cancelled', dryRun }
          : { status: 'failed', dryRun, error },
    });
  } finally {
    off();
  }
}

/** Asks the service to stop the running import; its `sources.import` then fails with `cancelled`. */
export async function cancelImport(api: Client): Promise<void> {
  const run = session.run;
  if (run?.status !== 'running' || run.cancelling) return;
  update({ run: { ...run, cancelling: true, cancelError: undefined } });
  try {
    await api['sources.cancel']({ id: run.id });
  } catch (error) {
    // The import goes on (or has just ended); say why the cancel did not happen.
    const now = session.run;
    if (now?.status === 'running' && now.id === run.id)
      update({ run: { ...now, cancelling: false, cancelError: error } });
  }
}

/** Discards a finished import's summary (or its failure). */
export function dismissRun(): void {
  if (!running()) update({ run: undefined });
}

/**
 * From outside the view (a drop on the window, File > Import..., a discovered source's Import... button): go to the
 * Import view with this path filled in and checked.
 */
export function requestImport(api: Client, path: string): void {
  navigate({ view: 'import' });
  void checkSource(api, path, { reveal: true });
}

/** A drop that carried no usable path: go to the Import view and say why. */
export function requestImportNotice(notice: string): void {
  navigate({ view: 'import' });
  update({ notice });
}
