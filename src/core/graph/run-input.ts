/** A run's input against its graph's `input` JSON Schema. */
import { ajvIssue, fail, refuseTooDeep } from './issues.js';
import { schemaValidator } from './json-schema.js';
import type { Graph } from './schema.js';

/** Refuses a run input that does not satisfy `graph.input`, naming the JSON path. */
export function validateRunInput(graph: Graph, input: unknown): void {
  refuseTooDeep(input, 'input');
  if (graph.input === undefined) return;
  const validate = schemaValidator(graph.input);
  if (validate(input)) return;
  fail((validate.errors ?? []).map((e) => ajvIssue(e, 'input')));
}
