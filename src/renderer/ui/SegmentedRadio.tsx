/** A segmented control that picks one of a few values (a radiogroup of buttons). */
import type { JSX, ReactNode } from 'react';

export interface SegmentedOption<T extends string> {
  value: T;
  label: ReactNode;
  disabled?: boolean;
}

export function SegmentedRadio<T extends string>({
  label,
  value,
  options,
  onChange,
  testId,
  inline,
}: {
  /** The group's accessible name. */
  label: string;
  value: T;
  options: readonly SegmentedOption<T>[];
  onChange(v: T): void;
  /** The data-testid of an option's button. */
  testId(v: T): string;
  /** Inside a line of text (a span, not a div). */
  inline?: boolean;
}): JSX.Element {
  const Box = inline ? 'span' : 'div';
  return (
    <Box className="segmented" role="radiogroup" aria-label={label}>
      {options.map((o) => (
        <button
          key={o.value}
          type="button"
          role="radio"
          aria-checked={value === o.value}
          data-testid={testId(o.value)}
          className={value === o.value ? 'seg seg-on' : 'seg'}
          disabled={o.disabled}
          onClick={() => onChange(o.value)}
        >
          {o.label}
        </button>
      ))}
    </Box>
  );
}
