/**
 * `approval`: the run waits durably until a person decides. The engine opens it with its start
 * (`approval.requested`) and a decision ends it; it has no runner.
 */
import * as z from 'zod';
import { defineKind } from '../kind.js';

export const ApprovalConfigSchema = z
  .object({ title: z.string().min(1), details: z.string().optional() })
  .passthrough();

export const approvalKind = defineKind({
  type: 'approval',
  label: 'Approval',
  hint: 'Wait for a person',
  configSchema: ApprovalConfigSchema,
  defaultConfig: () => ({ title: 'Approve this step?' }),
  defaultSideEffect: () => 'pure',
  execution: 'person',
  branch: (output) => (output as { approved?: unknown } | undefined)?.approved === true,
  panel: [
    { key: 'title', label: 'Title', input: 'template' },
    { key: 'details', label: 'Details', input: 'template', optional: true, rows: 3 },
  ],
});
