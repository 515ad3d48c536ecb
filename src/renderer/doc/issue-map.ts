/**
 * The shape of the document's problems (what the canvas and the panels show), apart from the
 * validator that finds them (issues.ts, loaded after the editor's first paint).
 */

export interface DocIssue {
  path: string;
  message: string;
  nodeId?: string;
  edgeId?: string;
  /** A warning about an input property: which one. */
  prop?: string;
}

export interface IssueMap {
  all: DocIssue[];
  /** Not errors (the graph saves and runs), but a run may fail: an optional input read with no fallback. */
  warnings: DocIssue[];
  /** Messages per node id. */
  nodes: Record<string, string[]>;
  /** Messages per edge id. */
  edges: Record<string, string[]>;
}

export const NO_ISSUES: IssueMap = { all: [], warnings: [], nodes: {}, edges: {} };

export const NODE_PATH = /^nodes\[([^\]]+)\]/;
export const EDGE_PATH = /^edges\[([^\]]+)\]/;

/** A short field name for a node issue's path (`config.prompt`), or '' for the node itself. */
export function fieldOf(path: string): string {
  return path.replace(NODE_PATH, '').replace(EDGE_PATH, '').replace(/^\./, '');
}
