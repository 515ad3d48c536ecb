/**
 * Keeps Tab and Shift+Tab inside an open dialog: from its last control Tab goes to its first, from
 * its first Shift+Tab goes to its last, and from anywhere outside it Tab goes in; and says which
 * Escape closes it. Only the topmost dialog (the last `aria-modal` one in the document) acts, so a
 * dialog over a dialog traps alone.
 */

const TABBABLE = [
  'a[href]',
  'area[href]',
  'button:not([disabled])',
  'input:not([disabled]):not([type="hidden"])',
  'select:not([disabled])',
  'textarea:not([disabled])',
  'iframe',
  '[contenteditable="true"]',
  '[tabindex]',
].join(',');

/** The controls Tab stops at in `box`, in document order (a radio group is one stop: its checked radio). */
export function tabbables(box: HTMLElement): HTMLElement[] {
  const all = Array.from(box.querySelectorAll<HTMLElement>(TABBABLE)).filter(
    (el) => el.tabIndex >= 0 && !el.closest('[inert]') && el.getClientRects().length > 0,
  );
  return all.filter((el) => {
    if (!(el instanceof HTMLInputElement) || el.type !== 'radio' || !el.name || el.checked) return true;
    const group = all.filter((o) => o instanceof HTMLInputElement && o.type === 'radio' && o.name === el.name);
    return !group.some((o) => (o as HTMLInputElement).checked) && group[0] === el;
  });
}

/** Whether `box` is the topmost open dialog (dialogs render in order, a later one is on top). */
export function isTopDialog(box: HTMLElement): boolean {
  const open = document.querySelectorAll('[aria-modal="true"]');
  return open[open.length - 1] === box;
}

/** Handles a keydown for the dialog `box`: moves focus itself (and prevents the default) where Tab would leave it. */
export function trapTab(e: KeyboardEvent, box: HTMLElement): void {
  // An editor that takes Tab (Monaco indents with it) has handled it already.
  if (e.key !== 'Tab' || e.defaultPrevented || e.ctrlKey || e.altKey || e.metaKey) return;
  if (!isTopDialog(box)) return;
  const items = tabbables(box);
  const active = document.activeElement;
  const first = items[0];
  const last = items[items.length - 1];
  if (!first || !last) {
    e.preventDefault();
    box.focus();
    return;
  }
  const inside = active instanceof HTMLElement && box.contains(active);
  const at = inside ? items.indexOf(active) : -1;
  let next: HTMLElement | undefined;
  if (!inside) next = e.shiftKey ? last : first;
  else if (at >= 0) {
    if (e.shiftKey && at === 0) next = last;
    else if (!e.shiftKey && at === items.length - 1) next = first;
  } else {
    // Focus on something Tab does not stop at (the dialog itself, a scrolled box): the next stop after it.
    const after = (el: HTMLElement) => (active.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0;
    next = e.shiftKey ? ([...items].reverse().find((el) => !after(el)) ?? last) : (items.find(after) ?? first);
  }
  if (!next) return; // between two of its controls: the browser's own Tab stays inside
  e.preventDefault();
  next.focus();
}

/**
 * Monaco's widgets that its own Escape closes first: the suggest list, the find widget, the
 * parameter hints. Each carries `visible` while it shows, inside the editor's `.monaco-editor`
 * (its overflow widgets too: no `overflowWidgetsDomNode` is given, MonacoField.tsx).
 */
export const MONACO_ESCAPABLE = [
  '.suggest-widget.visible',
  '.find-widget.visible',
  '.parameter-hints-widget.visible',
].join(',');

/** Whether a key went to a Monaco editor that has a widget open, which that Escape closes. */
export function monacoTakesEscape(target: EventTarget | null): boolean {
  const el = target as Partial<Pick<Element, 'closest'>> | null;
  const editor = typeof el?.closest === 'function' ? el.closest('.monaco-editor') : null;
  return editor?.querySelector(MONACO_ESCAPABLE) != null;
}

export type EscapeKey = Pick<KeyboardEvent, 'key' | 'defaultPrevented' | 'isComposing' | 'target'>;

/**
 * Whether a keydown closes the dialog `box`: an Escape nothing took before it (a control that
 * handles Escape itself prevents its default: Monaco closing its suggest list or its find widget
 * does), not one that ends an input method's composition, nor one inside a Monaco editor whose
 * widget it closes (should the dialog hear it first); and only the topmost dialog closes.
 */
export function escapeCloses(
  e: EscapeKey,
  box: HTMLElement,
  isTop: (box: HTMLElement) => boolean = isTopDialog,
): boolean {
  if (e.key !== 'Escape' || e.defaultPrevented || e.isComposing) return false;
  if (monacoTakesEscape(e.target)) return false;
  return isTop(box);
}
