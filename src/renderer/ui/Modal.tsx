import { useEffect, useRef, useState, type JSX, type ReactNode } from 'react';
import { escapeCloses, trapTab } from './focus-trap';
import { Icon } from './icons';

/**
 * A dialog: Escape or a click outside closes it; Tab and Shift+Tab cycle through its controls
 * (never into the page behind it); focus goes back to what had it before.
 */
export function Modal({
  title,
  onClose,
  children,
  testId,
  wide,
}: {
  title: string;
  onClose(): void;
  children: ReactNode;
  testId: string;
  wide?: boolean;
}): JSX.Element {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    // On the window, bubbling: a control that handles the key itself (Monaco's Tab, its Escape
    // closing a suggest list or a find widget) has done so first (focus-trap.ts escapeCloses).
    const onKey = (e: KeyboardEvent) => {
      const dialog = box.current;
      if (!dialog) return;
      if (escapeCloses(e, dialog)) onClose();
      else trapTab(e, dialog);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);
  // What had focus when the dialog opened (read while rendering: a field's autoFocus moves it
  // before any effect runs) gets it back when the dialog closes, unless focus went elsewhere.
  const [opener] = useState(() => document.activeElement);
  useEffect(() => {
    const dialog = box.current;
    // A dialog without a field that takes focus (autoFocus) takes it itself: Tab starts inside it.
    const now = document.activeElement;
    if (dialog && !(now instanceof Node && dialog.contains(now))) dialog.focus();
    return () => {
      const now = document.activeElement;
      if (now && now !== document.body && !dialog?.contains(now)) return;
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
    };
  }, [opener]);
  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div
        ref={box}
        className={`modal${wide ? ' modal-wide' : ''}`}
        role="dialog"
        aria-modal="true"
        aria-label={title}
        tabIndex={-1}
        data-testid={testId}
      >
        <div className="modal-head">
          <h2>{title}</h2>
          <button type="button" className="btn btn-icon btn-ghost" aria-label="Close" onClick={onClose}>
            <Icon name="close" size={14} />
          </button>
        </div>
        {children}
      </div>
    </div>
  );
}

/** The row that ends every form dialog: optional extras on the left, then Cancel and the dialog's own submit button. */
export function DialogActions({
  onCancel,
  lead,
  children,
}: {
  onCancel(): void;
  lead?: ReactNode;
  children: ReactNode;
}): JSX.Element {
  return (
    <div className="dialog-actions">
      {lead}
      <span className="spacer" />
      <button type="button" className="btn" onClick={onCancel}>
        Cancel
      </button>
      {children}
    </div>
  );
}
