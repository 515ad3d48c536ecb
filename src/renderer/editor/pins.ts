/**
 * Pinned inputs for testing nodes one at a time: the run input and outputs of nodes, per graph
 * id. Kept in the studio's local storage with the draft, never in the graph file.
 */
import { useSyncExternalStore } from 'react';

export interface Pins {
  input: unknown;
  outputs: Record<string, unknown>;
}

const KEY = 'statepipe.pins';
const EMPTY: Pins = { input: {}, outputs: {} };
const listeners = new Set<() => void>();
let cache: Record<string, Pins> | null = null;

function all(): Record<string, Pins> {
  if (cache) return cache;
  try {
    const v = JSON.parse(localStorage.getItem(KEY) ?? '{}') as unknown;
    cache = v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, Pins>) : {};
  } catch {
    cache = {};
  }
  return cache;
}

export function pinsOf(graphId: string): Pins {
  return all()[graphId] ?? EMPTY;
}

export function setPins(graphId: string, pins: Pins): void {
  cache = { ...all(), [graphId]: pins };
  try {
    localStorage.setItem(KEY, JSON.stringify(cache));
  } catch {
    /* storage full or disabled: pins last this session */
  }
  for (const fn of listeners) fn();
}

const subscribe = (fn: () => void) => {
  listeners.add(fn);
  return () => void listeners.delete(fn);
};

export function usePins(graphId: string): Pins {
  return useSyncExternalStore(subscribe, () => pinsOf(graphId));
}
