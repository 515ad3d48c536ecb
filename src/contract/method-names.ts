/**
 * The names of the API methods, with no dependencies: the sandboxed preload bundles this list
 * (its allowlist) without pulling in the zod schemas of api.ts, which checks it is complete.
 */
export const API_METHOD_NAMES = [
  'app.info',
  'app.breakers',
  'graphs.validate',
  'graphs.save',
  'graphs.list',
  'graphs.get',
  'graphs.versions',
  'nodes.test',
  'runs.start',
  'runs.get',
  'runs.list',
  'runs.events',
  'runs.pause',
  'runs.resume',
  'runs.cancel',
  'runs.approve',
  'runs.retry',
  'runs.resolve',
  'runs.rerun',
  'runs.export',
] as const;

export type ApiMethodName = (typeof API_METHOD_NAMES)[number];
