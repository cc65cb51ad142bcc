import { createContext, useContext, type ReactNode } from 'react';
import type { EventName, Events, Unsubscribe } from '../../shared/events';
import { createHttpClient } from '../../shared/http-client';
import { operationNames, type OperationName } from '../../shared/operations';
import { reviveError, type Client } from '../../shared/transport';

/**
 * The one place that knows which transport the renderer runs on: the desktop app's preload bridge when there is one,
 * else `imgmeta serve` on the page's own origin. Everything else asks `useApi()` for a `Client`.
 */
export function createClient(): Client {
  return window.imgmeta ? fromBridge(window.imgmeta) : createHttpClient();
}

/**
 * Errors thrown through Electron's contextBridge arrive as plain `Error`s holding only a message
 * (`not_found: ...`); each method is wrapped so that callers catch an `ImgmetaError` with its code again.
 */
export function fromBridge(bridge: Client): Client {
  const methods = bridge as unknown as Record<OperationName, (input: unknown) => Promise<unknown>>;
  const api = {} as Record<OperationName, (input: unknown) => Promise<unknown>>;
  for (const name of operationNames) {
    api[name] = async (input: unknown) => {
      try {
        return await methods[name](input ?? {});
      } catch (err) {
        throw reviveError(err);
      }
    };
  }
  const on = <E extends EventName>(event: E, listener: (payload: Events[E]) => void): Unsubscribe =>
    bridge.on(event, listener);
  return Object.assign(api, { on }) as unknown as Client;
}

const ApiContext = createContext<Client | null>(null);

export function ApiProvider({ client, children }: { client: Client; children: ReactNode }) {
  return <ApiContext.Provider value={client}>{children}</ApiContext.Provider>;
}

export function useApi(): Client {
  const client = useContext(ApiContext);
  if (!client) throw new Error('useApi: no <ApiProvider> above this component');
  return client;
}
