/** Edits of one node of the document, each field coalesced into one undo step while it is typed in. */
import type { GraphNode } from '../../core/graph/schema';
import { docStore } from '../doc/store';

export function setConfig(id: string, key: string, value: unknown): void {
  const s = docStore.getState();
  const node = s.index.get(id);
  if (!node) return;
  const config: Record<string, unknown> = { ...node.config };
  if (value === undefined) delete config[key];
  else config[key] = value;
  s.apply({ type: 'update-node', id, patch: { config } }, { coalesce: `${id}.config.${key}` });
}

export function patchNode(id: string, patch: Partial<GraphNode>, key: string): void {
  docStore.getState().apply({ type: 'update-node', id, patch }, { coalesce: `${id}.${key}` });
}
