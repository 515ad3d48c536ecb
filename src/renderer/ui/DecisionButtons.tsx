/** Approve and Reject for a waiting approval node (on its card and in the inspector). */
import type { JSX } from 'react';
import { Icon } from './icons';

export function DecisionButtons({
  decide,
  testId,
  primary,
}: {
  decide(approved: boolean): void;
  /** The data-testid of each button. */
  testId(kind: 'approve' | 'reject'): string;
  /** Approve drawn as the primary action. */
  primary?: boolean;
}): JSX.Element {
  return (
    <>
      <button
        type="button"
        className={`btn${primary ? ' btn-primary' : ''} btn-sm btn-approve`}
        data-testid={testId('approve')}
        onClick={() => decide(true)}
      >
        <Icon name="check" size={12} /> Approve
      </button>
      <button
        type="button"
        className="btn btn-sm btn-reject"
        data-testid={testId('reject')}
        onClick={() => decide(false)}
      >
        <Icon name="close" size={12} /> Reject
      </button>
    </>
  );
}
