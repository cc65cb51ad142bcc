import { QueryClientProvider, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import type { Client } from '../../shared/transport';
import { ApiProvider, useApi } from './api';
import { DropToImport } from './components/DropToImport';
import { ErrorBoundary } from './components/ErrorBoundary';
import { Sidebar } from './components/Sidebar';
import { StatusBar } from './components/StatusBar';
import { ToastProvider } from './components/Toasts';
import { requestImport } from './import-session';
import { useStoreSync } from './queries';
import { navigate, useRoute } from './router';
import { section, type Route } from './routes';
import { ContentView } from './views/ContentView';
import { ImageDetails } from './views/ImageDetails';
import { ImagesView } from './views/ImagesView';
import { ImportView } from './views/ImportView';
import { MetadataView } from './views/MetadataView';
import { NotFoundView } from './views/NotFoundView';
import { TrashView } from './views/TrashView';

export function App({ client, queryClient }: { client: Client; queryClient: QueryClient }) {
  return (
    <ApiProvider client={client}>
      <QueryClientProvider client={queryClient}>
        <ToastProvider>
          <ErrorBoundary onReset={() => recover(queryClient)}>
            <Shell />
          </ErrorBoundary>
        </ToastProvider>
      </QueryClientProvider>
    </ApiProvider>
  );
}

/**
 * Before a crashed view renders again: what it had read is dropped (it is unmounted, so its queries are the inactive
 * ones) so that it starts from fresh reads rather than the data it choked on; what is still on screen refetches.
 */
function recover(queryClient: QueryClient): void {
  queryClient.removeQueries({ type: 'inactive' });
  void queryClient.invalidateQueries();
}

/** What identifies a view instance: a filter or sort change keeps the view (and the focus in its filter box). */
const viewKey = (route: Route): string =>
  route.view === 'image'
    ? `image:${route.namespace}/${route.name}`
    : route.view === 'content'
      ? `content:${route.digest}`
      : route.view;

function Shell() {
  const api = useApi();
  const queryClient = useQueryClient();
  const route = useRoute();
  const key = viewKey(route);
  useStoreSync();

  useEffect(
    () =>
      api.on('app.command', (event) => {
        // File > Import...: the view at once, then the source chosen in the system dialog, to fill in and check.
        if (event.command !== 'show-import') return;
        if (event.path) requestImport(api, event.path);
        else navigate({ view: 'import' });
      }),
    [api],
  );

  // On a move to another view, focus its heading so that keyboard and screen reader users start there.
  const mainRef = useRef<HTMLElement>(null);
  const firstView = useRef(true);
  useEffect(() => {
    if (firstView.current) {
      firstView.current = false;
      return;
    }
    mainRef.current?.querySelector<HTMLElement>('h1')?.focus({ preventScroll: true });
    mainRef.current?.scrollTo({ top: 0 });
  }, [key]);

  return (
    <div className="app">
      <Sidebar current={section(route)} />
      <div className="app__main">
        <main className="content" ref={mainRef}>
          <ErrorBoundary key={key} onReset={() => recover(queryClient)}>
            <RouteView route={route} />
          </ErrorBoundary>
        </main>
        <StatusBar />
      </div>
      <DropToImport />
    </div>
  );
}

function RouteView({ route }: { route: Route }) {
  switch (route.view) {
    case 'images':
      return <ImagesView route={route} />;
    case 'image':
      return <ImageDetails namespace={route.namespace} name={route.name} />;
    case 'content':
      return <ContentView digest={route.digest} />;
    case 'metadata':
      return <MetadataView route={route} />;
    case 'trash':
      return <TrashView />;
    case 'import':
      return <ImportView />;
    case 'unknown':
      return <NotFoundView path={route.path} />;
  }
}
