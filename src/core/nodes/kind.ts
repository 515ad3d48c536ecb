/**
 * One descriptor per node kind (in the spirit of Rivet's NodeImpl and n8n's INodeType): its
 * config schema and typed config, the config a new node gets, its side-effect class, how the
 * engine carries it out, its runner when the engine itself runs it, and its panel in the studio
 * described as data. A new node type is one folder under src/core/nodes plus a line in
 * registry.ts; nothing else switches on type names.
 */
import type { z } from 'zod';
import type { SideEffect } from '../graph/schema.js';
import type { NodeRunner } from '../ports.js';

/** How the engine carries out a node of a kind. */
export type Execution =
  /** In-process and at once, no effect (input, transform, …): its start commits with its end (group commit). */
  | 'instant'
  /** A durable in-process wait (delay): its end time commits with its start; a restart waits the remainder. */
  | 'wait'
  /** Waits for a person's decision (approval): it opens with its start and runs nothing. */
  | 'person'
  /** A runner that may reach the world (model, http, code): its start commits first; timeout; in-doubt if unsafe. */
  | 'effect'
  /**
   * Runs other graphs as child runs (subgraph, map, loop): its start commits first; no time
   * limit of its own (each child run has its nodes'); it waits when a child waits for a person.
   */
  | 'children';

/** A field of a node's panel in the studio, described as data. */
export interface PanelField {
  key: string;
  label: string;
  /**
   * `text`: one line; `textarea`: several lines; `template`: text that may hold `{{ }}`;
   * `expression`: a JSONata expression; `code`: JavaScript; `json`: any JSON value;
   * `number`; `select` (one of `options`).
   */
  input: 'text' | 'textarea' | 'template' | 'expression' | 'code' | 'json' | 'number' | 'select';
  hint?: string;
  optional?: boolean;
  options?: readonly string[];
  /** Shown only when another field has this value (e.g. `baseURL` for `openai-compatible`). */
  when?: { key: string; equals: string };
  /** Lines of a multi-line input. */
  rows?: number;
  min?: number;
}

/** Validation beyond the config schema, reported at a path below the node. */
export interface KindChecker {
  /** A JSON Schema (e.g. `outputSchema`). */
  schema(path: string, schema: unknown): void;
  /** The config of another kind (an agent tool's `run`); true when it is valid. */
  config(path: string, type: string, config: unknown): boolean;
  /** Every template string under `value`, except the keys in `skip` at its top level. */
  templates(path: string, value: unknown, skip?: ReadonlySet<string>): void;
  /** A JSONata expression (no braces); `what` names it in messages. */
  expression(path: string, expression: string, what: string): void;
  /** Any other problem, at `path`. */
  issue(path: string, message: string): void;
  /** The node's side-effect class (as it sets it, else its kind's default). */
  readonly sideEffect: SideEffect;
}

export interface NodeKind<C extends object = Record<string, unknown>, T extends string = string> {
  readonly type: T;
  /** Its name in the palette and the panel. */
  readonly label: string;
  /** One line of what it does. */
  readonly hint: string;
  readonly configSchema: z.ZodType<C>;
  /**
   * What a new node of this kind gets: a config that validates as it is, except a composition
   * node's `graph`, empty until the author chooses one (no default names a graph that exists).
   */
  defaultConfig(): C;
  /** The side-effect class when the node sets none (docs/graph-format.md "Side effects"). */
  defaultSideEffect(config: Record<string, unknown>): SideEffect;
  readonly execution: Execution;
  /**
   * Its effect only reads (an HTTP GET or HEAD without `poll`): an idempotent node of this config
   * may begin before its start is durable, like a pure one (a crash runs it again either way).
   */
  readsOnly?(config: Record<string, unknown>): boolean;
  /** Calls a model: the run's budget is checked before it starts, and dry runs count its tokens. */
  readonly callsModel?: boolean;
  /** Model calls one attempt may make at most (an agent's `maxSteps`); 1 by default. */
  modelCalls?(config: Record<string, unknown>): number;
  /** Branches: edges leaving it carry `when`; the branch a finished node took, from its output. */
  branch?(output: unknown): boolean;
  /** Its runner sees every upstream output by name, so its scope holds only its ancestors. */
  readonly scopeOfAncestors?: boolean;
  /** The engine's own runner; kinds without one are run by the host's runner for the type. */
  readonly runner?: NodeRunner;
  /** Config keys rendered later by the runner itself (per item, per iteration), not with the config. */
  readonly untemplated?: readonly string[];
  /**
   * Config keys holding JavaScript the host compiles as the body of `function (input, nodes)`:
   * validation parses them (graph/code-syntax.ts; the parser loads with the validator, not with
   * the kinds), wherever a config of this kind is (a node, a tool's `run`, a compensation).
   */
  readonly javascript?: readonly string[];
  /** The graph a composition node runs as child runs (its `config.graph`). */
  childGraph?(config: Record<string, unknown>): string | undefined;
  /**
   * For dry runs: how many child runs one attempt starts at most (`'items'`: one per item of
   * `config.items`), and the config key holding one child's input template.
   */
  readonly children?: {
    readonly atMost: (config: Record<string, unknown>) => number | 'items';
    readonly input: string;
  };
  /** The time limit of one attempt, from the node's limit (a polled http node waits longer). */
  timeoutMs?(config: Record<string, unknown>, limit: number): number;
  /** Checks beyond the schema, on a config that passed it. */
  checkConfig?(config: C, check: KindChecker): void;
  /** Template and expression checks beyond the config's own template strings. */
  checkTemplates?(config: Record<string, unknown>, check: KindChecker): void;
  /** The studio's panel. */
  readonly panel: readonly PanelField[];
}

/**
 * A runner whose code (and what it needs: the llm runner's ajv) loads on its first call. A kind's
 * descriptor is read by more than the engine (the studio draws its palette and panels from it on
 * first paint); with its heavy runner behind this, reading the kind costs only its schema and
 * panel. For `effect` kinds only: their runner is the host's in a run and the record's in a
 * replay, whereas an in-process kind's first call would wait on a module load that a replay
 * cannot tell from an idle engine.
 */
export function lazyRunner(load: () => Promise<NodeRunner>): NodeRunner {
  let loaded: Promise<NodeRunner> | undefined;
  return async (ctx) => (await (loaded ??= load()))(ctx);
}

/** Declares a kind, keeping its config type (inferred from its schema) for its own functions. */
export function defineKind<C extends object, const T extends string>(kind: NodeKind<C, T>): NodeKind<C, T> {
  return kind;
}

/** The providers an `llm` or `agent` node may name. */
export const PROVIDERS = ['mock', 'openai', 'anthropic', 'openai-compatible'] as const;
