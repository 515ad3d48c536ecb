/** Lifecycle hooks (docs/runtime.md "Hooks"), called after each commit; a throwing hook never breaks the run. */
import type { RunEvent } from '../events.js';
import type { HookContext, RunHooks } from '../ports.js';
import type { EngineDeps } from './context.js';
import type { RunState } from './state.js';

function hooksFor(e: RunEvent): (keyof RunHooks)[] {
  switch (e.type) {
    case 'run.created':
      return ['onInit'];
    case 'node.succeeded':
    case 'node.failed':
    case 'node.skipped':
      return ['onProgress'];
    case 'node.retrying':
      return ['onRetry'];
    case 'run.succeeded':
      return ['onSuccess', 'onComplete'];
    case 'run.failed':
      return ['onError', 'onComplete'];
    case 'run.cancelled':
      return ['onComplete'];
    default:
      return [];
  }
}

export function callHooks(deps: EngineDeps, state: RunState, events: RunEvent[]): void {
  const hooks = deps.hooks;
  if (!hooks) return;
  for (const event of events) {
    for (const name of hooksFor(event)) {
      const fn: ((ctx: HookContext) => unknown) | undefined = hooks[name];
      if (!fn) continue;
      const ctx: HookContext = {
        runId: state.runId,
        graphId: state.graphId,
        event,
        status: state.status,
        ...(event.nodeId ? { nodeId: event.nodeId } : {}),
      };
      try {
        const r = fn.call(hooks, ctx);
        if (r && typeof (r as Promise<unknown>).then === 'function')
          (r as Promise<unknown>).catch((err) => deps.onHookError?.(name, err));
      } catch (err) {
        deps.onHookError?.(name, err);
      }
    }
  }
}
