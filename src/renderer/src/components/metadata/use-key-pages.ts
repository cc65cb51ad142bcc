import { keepPreviousData, useQueries } from '@tanstack/react-query';
import { useMemo } from 'react';
import type { MetadataKeyInfo } from '../../../../shared/types';
import { useApi } from '../../api';

/** Keys fetched per request: a screenful or two, so a jump costs one or two requests. */
export const keyPageSize = 100;

/**
 * The keys of the rows on screen, fetched by offset one page at a time (the service jumps to any offset through its
 * sparse position index), so scrolling to row 999,999 reads one page, not a million keys. Each page is its own
 * query: `store.changed` refetches only what is on screen, and a page scrolled past stays cached for scrolling back.
 */
export function useKeyPages(namespace: string, prefix: string, first: number, count: number) {
  const api = useApi();
  const from = Math.floor(first / keyPageSize);
  const to = Math.floor(Math.max(first, first + count - 1) / keyPageSize);
  const offsets: number[] = [];
  for (let p = from; p <= to; p++) offsets.push(p * keyPageSize);
  const results = useQueries({
    queries: offsets.map((offset) => {
      const input = { namespace, prefix, offset, limit: keyPageSize };
      return {
        queryKey: ['metadata.list', input],
        queryFn: () => api['metadata.list'](input),
        // While a new window loads, its first page shows the last one's total rather than none.
        placeholderData: offset === offsets[0] ? keepPreviousData : undefined,
      };
    }),
  });
  const rows = useMemo(() => {
    const map = new Map<number, MetadataKeyInfo>();
    results.forEach((r, i) => {
      if (!r.data || r.isPlaceholderData) return;
      r.data.items.forEach((item, j) => map.set(offsets[i]! + j, item));
    });
    return map;
    // The results array is new on every render; the data objects are what change.
  }, [results.map((r) => r.dataUpdatedAt).join(), offsets.join()]);
  const fresh = results.find((r) => r.data && !r.isPlaceholderData) ?? results.find((r) => r.data);
  const total = fresh?.data?.total;
  const loading = results.some((r) => r.isFetching);
  const error = results.find((r) => r.error)?.error ?? undefined;
  return { rows, total, error, loading, refetch: () => results.forEach((r) => void r.refetch()) };
}
