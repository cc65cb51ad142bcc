import {
  keepPreviousData,
  QueryClient,
  useInfiniteQuery,
  useQuery,
  useQueryClient,
  type InfiniteData,
} from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { ImgmetaError } from '../../shared/errors';
import type { OperationInput, OperationName, OperationOutput } from '../../shared/operations';
import type { Client } from '../../shared/transport';
import type { Page } from '../../shared/types';
import { useApi } from './api';

/**
 * Every read goes through React Query under the key `[operation, input]`, so one `store.changed` event can invalidate
 * everything at once and identical reads in several components share one request.
 */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // Freshness comes from `store.changed` (and the change-counter poll below), not from a timer.
        staleTime: 60_000,
        // A typed error from the service (not_found, invalid_argument ...) will not change on a retry; a dropped
        // connection might.
        retry: (failures, err) => failures < 2 && !(err instanceof ImgmetaError && err.code !== 'internal'),
      },
    },
  });
}

const call = <N extends OperationName>(api: Client, name: N, input: OperationInput<N>) =>
  (api[name] as (input: OperationInput<N>) => Promise<OperationOutput<N>>)(input);

export function useApiQuery<N extends OperationName>(
  name: N,
  input: OperationInput<N>,
  options: { enabled?: boolean; refetchInterval?: number } = {},
) {
  const api = useApi();
  return useQuery({
    queryKey: [name, input],
    queryFn: () => call(api, name, input),
    ...options,
  });
}

/** Operations that answer a `Page` and continue with `cursor`. */
type PagedName = 'images.list' | 'trash.list' | 'metadata.list';
type ItemOf<N extends PagedName> = OperationOutput<N> extends Page<infer T> ? T : never;

/** A paged list: the first page, then one more per `fetchNextPage()` ("Load more"), continuing from `nextCursor`. */
export function usePagedQuery<N extends PagedName>(
  name: N,
  input: Omit<OperationInput<N>, 'cursor'>,
  options: { enabled?: boolean } = {},
) {
  const api = useApi();
  const query = useInfiniteQuery<
    Page<ItemOf<N>>,
    Error,
    InfiniteData<Page<ItemOf<N>>, string | undefined>,
    unknown[],
    string | undefined
  >({
    queryKey: [name, input, 'pages'],
    initialPageParam: undefined,
    queryFn: ({ pageParam }) =>
      call(api, name, { ...input, cursor: pageParam } as OperationInput<N>) as Promise<Page<ItemOf<N>>>,
    getNextPageParam: (last) => last.nextCursor,
    // Changing a filter keeps the previous rows on screen until the new ones arrive, instead of flashing empty.
    placeholderData: keepPreviousData,
    ...options,
  });
  const pages = query.data?.pages ?? [];
  return {
    ...query,
    items: pages.flatMap((page) => page.items),
    total: pages.at(-1)?.total,
  };
}

/** What a list's footer needs of a paged query (see LoadMore). */
export type PagedList = Pick<
  ReturnType<typeof usePagedQuery>,
  'items' | 'total' | 'hasNextPage' | 'isFetchingNextPage' | 'fetchNextPage'
>;

/**
 * Keeps every cached read current: `store.changed` (a write here, in another window, or by the CLI) invalidates all
 * queries, coalesced over a short burst; `reopened` (another store) drops the cache outright. As a fallback for an
 * event stream that dropped and came back, the store's change counter is polled and a jump nobody announced
 * invalidates everything too.
 */
export function useStoreSync(): void {
  const api = useApi();
  const queryClient = useQueryClient();
  const announced = useRef<number | undefined>(undefined);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const off = api.on('store.changed', (event) => {
      if (event.reopened) {
        // Another store: its counter has nothing to do with the last one's.
        announced.current = undefined;
        clearTimeout(timer);
        timer = undefined;
        queryClient.removeQueries({ type: 'inactive' });
        void queryClient.resetQueries();
        return;
      }
      announced.current = Math.max(announced.current ?? 0, event.changeSeq);
      timer ??= setTimeout(() => {
        timer = undefined;
        void queryClient.invalidateQueries();
      }, 50);
    });
    return () => {
      off();
      clearTimeout(timer);
    };
  }, [api, queryClient]);

  const info = useApiQuery('store.info', {}, { refetchInterval: 10_000 });
  const seq = info.data?.changeSeq;
  useEffect(() => {
    if (seq === undefined) return;
    const seen = announced.current;
    announced.current = Math.max(seen ?? 0, seq);
    if (seen !== undefined && seq > seen)
      void queryClient.invalidateQueries({ predicate: (q) => q.queryKey[0] !== 'store.info' });
  }, [seq, queryClient]);
}
