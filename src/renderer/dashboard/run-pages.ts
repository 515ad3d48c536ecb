/**
 * Pages of `runs.list` for the virtual list: fetched on demand as rows scroll into view
 * (100 per call), with the filter's `total` for the scrollbar. A new query drops the cache;
 * `refresh` re-fetches the pages in view in place (live updates, no flash of empty rows).
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { MethodInput, MethodOutput } from '../../contract/api';
import type { HostClient } from '../api/client';

export type RunRow = MethodOutput<'runs.list'>['runs'][number];
type Query = Omit<MethodInput<'runs.list'>, 'limit' | 'offset'>;

export const PAGE_SIZE = 100;

export interface RunPages {
  total: number | null;
  error: string | null;
  rowAt(index: number): RunRow | undefined;
  /** Loads the pages that hold rows first..last (no-op for pages loaded or in flight). */
  ensure(first: number, last: number): void;
  /** Re-fetches the count and the pages in view. */
  refresh(): void;
  /** Every row loaded so far (for "select all in view"). */
  loadedIds(first: number, last: number): string[];
  /** Is this run among the loaded rows? */
  has(runId: string): boolean;
}

export function useRunPages(client: HostClient, query: Query): RunPages {
  const key = JSON.stringify(query);
  const cache = useRef({
    key,
    pages: new Map<number, RunRow[]>(),
    inFlight: new Set<number>(),
    range: [0, 0] as [number, number],
  });
  const [total, setTotal] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [, setTick] = useState(0);
  const rerender = useCallback(() => setTick((t) => t + 1), []);

  const fetchPage = useCallback(
    (page: number, forKey: string, withTotal: boolean) => {
      const c = cache.current;
      c.inFlight.add(page);
      client
        .call('runs.list', { ...(JSON.parse(forKey) as Query), limit: PAGE_SIZE, offset: page * PAGE_SIZE })
        .then((r) => {
          if (cache.current.key !== forKey) return;
          c.pages.set(page, r.runs);
          if (withTotal || page === 0) setTotal(r.total);
          setError(null);
          rerender();
        })
        .catch((err: unknown) => {
          if (cache.current.key === forKey) setError(err instanceof Error ? err.message : String(err));
        })
        .finally(() => c.inFlight.delete(page));
    },
    [client, rerender],
  );

  const ensure = useCallback(
    (first: number, last: number) => {
      const c = cache.current;
      c.range = [first, last];
      const lastPage = Math.max(0, Math.floor(Math.max(last, 0) / PAGE_SIZE));
      for (let p = Math.floor(first / PAGE_SIZE); p <= lastPage; p++) {
        if (!c.pages.has(p) && !c.inFlight.has(p)) fetchPage(p, c.key, p === 0);
      }
    },
    [fetchPage],
  );

  // A new query: drop everything, start from the first page.
  useEffect(() => {
    cache.current = { key, pages: new Map(), inFlight: new Set(), range: [0, 0] };
    setTotal(null);
    fetchPage(0, key, true);
  }, [key, fetchPage]);

  const refresh = useCallback(() => {
    const c = cache.current;
    const [first, last] = c.range;
    const pages = new Set<number>([0]);
    for (let p = Math.floor(first / PAGE_SIZE); p <= Math.floor(Math.max(last, 0) / PAGE_SIZE); p++) pages.add(p);
    for (const p of [...c.pages.keys()]) if (!pages.has(p)) c.pages.delete(p); // rows may have shifted
    for (const p of pages) if (!c.inFlight.has(p)) fetchPage(p, c.key, true);
  }, [fetchPage]);

  const rowAt = (i: number) => cache.current.pages.get(Math.floor(i / PAGE_SIZE))?.[i % PAGE_SIZE];
  const loadedIds = (first: number, last: number) => {
    const ids: string[] = [];
    for (let i = first; i <= last; i++) {
      const r = rowAt(i);
      if (r) ids.push(r.runId);
    }
    return ids;
  };
  const has = (runId: string) => [...cache.current.pages.values()].some((p) => p.some((r) => r.runId === runId));
  return { total, error, rowAt, ensure, refresh, loadedIds, has };
}
