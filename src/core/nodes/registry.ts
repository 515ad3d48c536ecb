/**
 * Every node kind, in palette order. A new node type is a folder beside this file (its
 * descriptor in index.ts) and one line here.
 */
import type { GraphNode, SideEffect } from '../graph/schema.js';
import { agentKind } from './agent/index.js';
import { approvalKind } from './approval/index.js';
import { codeKind } from './code/index.js';
import { conditionKind } from './condition/index.js';
import { delayKind } from './delay/index.js';
import { httpKind } from './http/index.js';
import { inputKind } from './input/index.js';
import type { NodeKind } from './kind.js';
import { llmKind } from './llm/index.js';
import { loopKind } from './loop/index.js';
import { mapKind } from './map/index.js';
import { outputKind } from './output/index.js';
import { subgraphKind } from './subgraph/index.js';
import { transformKind } from './transform/index.js';

export const NODE_KINDS = [
  inputKind,
  llmKind,
  httpKind,
  codeKind,
  transformKind,
  conditionKind,
  approvalKind,
  delayKind,
  agentKind,
  subgraphKind,
  mapKind,
  loopKind,
  outputKind,
] as const;

export type NodeType = (typeof NODE_KINDS)[number]['type'];
export const NODE_TYPES: readonly NodeType[] = NODE_KINDS.map((k) => k.type);

const BY_TYPE = new Map<string, NodeKind>(NODE_KINDS.map((k) => [k.type, k as unknown as NodeKind]));

/** The kind of a type name, or undefined for a type no kind has. */
export function findKind(type: string): NodeKind | undefined {
  return BY_TYPE.get(type);
}

/** The kind of a node of a validated graph (its type is known). */
export function kindOf(node: Pick<GraphNode, 'type'>): NodeKind {
  const kind = BY_TYPE.get(node.type);
  if (!kind) throw new Error(`unknown node type ${node.type}`);
  return kind;
}

export const isNodeType = (type: string): type is NodeType => BY_TYPE.has(type);

/** A node's side-effect class: as it sets it, else its kind's default. */
export function sideEffectOf(node: GraphNode): SideEffect {
  return node.sideEffect ?? kindOf(node).defaultSideEffect(node.config ?? {});
}
