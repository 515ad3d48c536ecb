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

/** `≈ 1,234` (estimating) or `1,234`; the cost; the tooltip that says why `≈`. */
export function spendText(s: LiveSpend): { tokens: string; cost: string; title?: string } {
  return {
    tokens: `${s.estimating ? '≈ ' : ''}${fmtTokens(s.liveTokens)}`,
    cost: fmtCost(s.liveCostUsd),
    ...(s.estimating ? { title: ESTIMATE_TITLE } : {}),
  };
}
