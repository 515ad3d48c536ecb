/** A toolbar button: an icon and a label (the label hides on narrow windows; the title stays). */
import type { JSX } from 'react';
import { Icon, type UiIconName } from './icons';

export function ToolButton({
  icon,
  label,
  onClick,
  testId,
  disabled,
  primary,
  pressed,
  title,
}: {
  icon: UiIconName;
  label: string;
  onClick(): void;
  testId?: string;
  disabled?: boolean;
  primary?: boolean;
  pressed?: boolean;
  title?: string;
}): JSX.Element {
  return (
    <button
      type="button"
      className={`btn btn-tool${primary ? ' btn-accent' : ''}`}
      data-testid={testId}
      disabled={disabled}
      onClick={onClick}
      title={title ?? label}
      aria-pressed={pressed}
    >
      <Icon name={icon} size={15} />
      <span className="btn-label">{label}</span>
    </button>
  );
}
