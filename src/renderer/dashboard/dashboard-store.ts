/**
 * The Runs view's own state: filters, sort, selection and which page is open (the list, one
 * run's detail, or the diff of two runs). Kept outside the components so that going back to
 * the list keeps the filters and the scroll position's query.
 */
import { createStore } from 'zustand/vanilla';
import { useStore } from 'zustand';
import type { MethodInput } from '../../contract/api';

export type RunStatusName =
  'queued' | 'running' | 'paused' | 'waiting' | 'interrupted' | 'succeeded' | 'failed' | 'cancelled';
export const RUN_STATUSES: RunStatusName[] = [
  'running',
  'waiting',
  'paused',
  'queued',
  'interrupted',
  'succeeded',
  'failed',
  'cancelled',
];

/** Every column sorts in the store (each backed by an index). */
export type SortKey = NonNullable<MethodInput<'runs.list'>['sort']>;

export interface Filters {
  statuses: RunStatusName[];
  graphId: string;
  text: string;
  /** `YYYY-MM-DD` (local dates, as the date inputs give them); '' = open. */
  from: string;
  to: string;
}

export type Page =
  { kind: 'list' } | { kind: 'detail'; runId: string; select?: string } | { kind: 'diff'; a: string; b: string };

export interface DashboardState {
  filters: Filters;
  sort: SortKey;
  order: 'asc' | 'desc';
  selected: ReadonlySet<string>;
  page: Page;
  setFilters(patch: Partial<Filters>): void;
  setSort(key: SortKey): void;
  toggle(runId: string, on?: boolean): void;
  selectOnly(ids: string[]): void;
  open(page: Page): void;
}

export const EMPTY_FILTERS: Filters = { statuses: [], graphId: '', text: '', from: '', to: '' };

/** Whether any filter narrows the list (its empty state then says so). */
export const isFiltered = (f: Filters): boolean =>
  f.statuses.length > 0 || f.graphId !== '' || f.text.trim() !== '' || f.from !== '' || f.to !== '';

export const dashboardStore = createStore<DashboardState>()((set, get) => ({
  filters: EMPTY_FILTERS,
  sort: 'created',
  order: 'desc',
  selected: new Set(),
  page: { kind: 'list' },
  setFilters: (patch) => set({ filters: { ...get().filters, ...patch } }),
  setSort(key) {
    const s = get();
    set(s.sort === key ? { order: s.order === 'desc' ? 'asc' : 'desc' } : { sort: key, order: 'desc' });
  },
  toggle(runId, on) {
    const next = new Set(get().selected);
    if (on ?? !next.has(runId)) next.add(runId);
    else next.delete(runId);
    set({ selected: next });
  },
  selectOnly: (ids) => set({ selected: new Set(ids) }),
  open: (page) => set({ page }),
}));

export function useDashboard<T>(selector: (s: DashboardState) => T): T {
  return useStore(dashboardStore, selector);
}

/** Local `YYYY-MM-DD` → the ISO time of that local midnight (`to` is inclusive: the next midnight). */
export function dayToIso(day: string, end: boolean): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return undefined;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + (end ? 1 : 0));
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** The `runs.list` query of the filters and sort (without limit/offset). */
export function listQuery(
  f: Filters,
  sort: DashboardState['sort'],
  order: DashboardState['order'],
): Omit<MethodInput<'runs.list'>, 'limit' | 'offset'> {
  const q: Omit<MethodInput<'runs.list'>, 'limit' | 'offset'> = { sort, order };
  if (f.statuses.length) q.status = f.statuses;
  // A graph chosen: its every run, child runs too (a library graph runs only as a child).
  if (f.graphId) Object.assign(q, { graphId: f.graphId, all: true });
  const text = f.text.trim();
  if (text) q.text = text.slice(0, 200);
  const from = dayToIso(f.from, false);
  const to = dayToIso(f.to, true);
  if (from) q.from = from;
  if (to) q.to = to;
  return q;
}
