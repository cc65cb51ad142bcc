import { useMemo, useSyncExternalStore } from 'react';
import { formatRoute, parseHash, type Route } from './routes';

const subscribe = (onChange: () => void) => {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
};
const snapshot = () => window.location.hash;

/** The current route, re-rendered on every hash change (links, back/forward, `navigate`). */
export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, snapshot);
  return useMemo(() => parseHash(hash), [hash]);
}

/** Go to a route; `replace` rewrites the current history entry (filter typing, not worth a Back step). */
export function navigate(route: Route, options: { replace?: boolean } = {}): void {
  const hash = formatRoute(route);
  if (hash === window.location.hash) return;
  if (options.replace) window.location.replace(hash);
  else window.location.hash = hash;
}

export const href = formatRoute;
