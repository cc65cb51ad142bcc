import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../src/main/server/server';
import { createService } from '../../src/main/service';
import { Store } from '../../src/main/store/store';
import { createHttpClient } from '../../src/shared/http-client';
import { contractSuite } from './suite';

/** A fresh real store in a temp directory; `close` closes and removes it. */
function freshStore() {
  const base = mkdtempSync(join(tmpdir(), 'imgmeta-contract-'));
  const store = Store.open(join(base, 'store'));
  return {
    store,
    dispose: () => {
      store.close();
      rmSync(base, { recursive: true, force: true });
    },
  };
}

contractSuite('the in-process service', async () => {
  const { store, dispose } = freshStore();
  return { api: createService(store), close: dispose };
});

contractSuite('HTTP (imgmeta serve)', async () => {
  const { store, dispose } = freshStore();
  const server = await startServer({ api: createService(store) });
  return {
    api: createHttpClient({ baseUrl: server.origin, token: server.token }),
    close: async () => {
      await server.close();
      dispose();
    },
  };
});
