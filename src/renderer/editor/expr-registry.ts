/** Expression fields by context key: the completion provider (monaco-expr.ts) asks here what a field can see. */
import type { ExprContext } from './expressions';

const contexts = new Map<string, () => ExprContext>();

export function registerExprContext(key: string, get: () => ExprContext): () => void {
  contexts.set(key, get);
  return () => {
    if (contexts.get(key) === get) contexts.delete(key);
  };
}

export function exprContext(key: string): ExprContext | undefined {
  return contexts.get(key)?.();
}
