/**
 * Imports in a process of its own, so that a test can bound each import's time (a hang, even a synchronous loop,
 * is killed from outside) and read the memory it took. Usage: import-worker STORE
 * stdin: one JSON request a line, `{"path": ..., "namespace"?: ..., "keepLayers"?: bool}`;
 * stdout: one JSON line per request, `{ok, code?, message?, created?, ms, rss, maxRss}` (bytes).
 */
import { writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createService } from '../../src/main/service';
import { Store } from '../../src/main/store/store';
import { toErrorBody } from '../../src/shared/errors';

const store = Store.open(process.argv[2]!);
const service = createService(store);

async function main(): Promise<void> {
  for await (const line of createInterface({ input: process.stdin })) {
    const request = JSON.parse(line) as { path: string; namespace?: string; keepLayers?: boolean };
    const started = performance.now();
    let outcome: Record<string, unknown>;
    try {
      const result = await service['sources.import']({
        path: request.path,
        keepLayers: request.keepLayers ?? false,
        ...(request.namespace !== undefined ? { namespace: request.namespace } : {}),
      });
      outcome = {
        ok: true,
        created: result.images.created.length,
        damaged: result.damaged.map((d) => d.reason.slice(0, 200)),
      };
    } catch (err) {
      const body = toErrorBody(err);
      outcome = { ok: false, code: body.code, message: body.message.slice(0, 500) };
    }
    writeSync(
      1,
      `${JSON.stringify({
        ...outcome,
        ms: performance.now() - started,
        rss: process.memoryUsage().rss,
        maxRss: process.resourceUsage().maxRSS * 1024,
      })}\n`,
    );
  }
  store.close();
}

void main();
