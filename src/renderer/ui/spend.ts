/**
 * A run's (or a node's) tokens and cost as every part of the run view writes them: the header,
 * the run summary, the inspector and the cards show the one count, live (what finished attempts
 * reported, plus what attempts still running have used so far), marked `≈` while an open stream
 * is estimated from its text. No two places show two numbers for the same thing.
 */
import { fmtCost, fmtTokens } from './format';

/** What the fold counts live, for a run (RunSnapshot) or a node (NodeSnapshot). */
export interface LiveSpend {
  liveTokens: number;
  liveCostUsd: number;
  /** The count holds an estimate (a stream is open). */
  estimating: boolean;
}

export const ESTIMATE_TITLE = 'Counting live: an open stream is estimated from its text until its reply reports';

/** `≈ 1,234` (estimating) or `1,234`, and the tooltip that says why `≈`. */
export function tokensText(tokens: number, estimating: boolean): { text: string; title?: string } {
  return estimating ? { text: `≈ ${fmtTokens(tokens)}`, title: ESTIMATE_TITLE } : { text: fmtTokens(tokens) };
}

/** The tokens as tokensText writes them; the cost; the tooltip that says why `≈`. */
export function spendText(s: LiveSpend): { tokens: string; cost: string; title?: string } {
  const t = tokensText(s.liveTokens, s.estimating);
  return { tokens: t.text, cost: fmtCost(s.liveCostUsd), ...(t.title ? { title: t.title } : {}) };
}
