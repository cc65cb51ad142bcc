import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vi } from 'vitest';
import { registerOperations } from '../../src/main/ipc';
import { isAppUrl } from '../../src/main/protocol';
import { createService } from '../../src/main/service';
import { Store } from '../../src/main/store/store';
import { operationNames, type Api } from '../../src/shared/operations';
import { reviveError, type Client } from '../../src/shared/transport';
import { contractSuite } from '../contract/suite';
import { fake } from './fake-electron';

// The API contract over Electron IPC: the real preload and main wiring, joined by the fake electron module that
// structured-clones arguments and answers and keeps only error messages across the context bridge, as Electron does.
vi.mock('electron', async () => (await import('./fake-electron')).electronModule);
await import('../../src/preload/index');

contractSuite('Electron IPC (preload + ipcMain, fake electron)', async () => {
  fake.reset();
  const base = mkdtempSync(join(tmpdir(), 'imgmeta-ipc-contract-'));
  const store = Store.open(join(base, 'store'));
  const service = createService(store);
  const unregister = registerOperations(fake.module.ipcMain, () => service, isAppUrl);
  const page = fake.state.exposed.get('imgmeta') as Client;
  // What the renderer does with window.imgmeta: the same calls, the bridged errors revived.
  const api = Object.fromEntries(
    operationNames.map((name) => [
      name,
      (input: unknown) =>
        (page[name] as (input: unknown) => Promise<unknown>)(input).catch((err: unknown) => {
          throw reviveError(err);
        }),
    ]),
  ) as unknown as Api;
  return {
    api,
    close: () => {
      unregister();
      store.close();
      rmSync(base, { recursive: true, force: true });
    },
  };
});
