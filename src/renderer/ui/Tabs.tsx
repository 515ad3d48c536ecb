/** A tab list (the views, a node's side panel, a run's details): buttons with role="tab" controlling one panel. */
import type { JSX } from 'react';

export interface TabItem<T extends string> {
  id: T;
  label: string;
  disabled?: boolean;
  title?: string;
}

export function Tabs<T extends string>({
  tabs,
  current,
  onChange,
  label,
  idPrefix,
  panelId,
  testIdPrefix,
  style = 'tabs',
  className,
}: {
  tabs: readonly TabItem<T>[];
  current: T;
  onChange(id: T): void;
  label: string;
  /** Each tab's id is `${idPrefix}-${id}` (the panel is labelled by it). */
  idPrefix: string;
  panelId: string;
  testIdPrefix: string;
  /** 'tabs': underlined tabs; 'segmented': a segmented control. */
  style?: 'tabs' | 'segmented';
  className: string;
}): JSX.Element {
  const seg = style === 'segmented';
  return (
    <div className={className} role="tablist" aria-label={label}>
      {tabs.map((t) => (
        <button
          key={t.id}
          type="button"
          role="tab"
          id={`${idPrefix}-${t.id}`}
          aria-controls={panelId}
          aria-selected={current === t.id}
          data-testid={`${testIdPrefix}${t.id}`}
          className={seg ? `seg${current === t.id ? ' seg-on' : ''}` : current === t.id ? 'tab tab-active' : 'tab'}
          disabled={t.disabled}
          title={t.title}
          onClick={() => onChange(t.id)}
        >
          {t.label}
        </button>
      ))}
    </div>
  );
}
