/**
 * The keys of a filter box that drives a list below it (a combobox with aria-activedescendant):
 * ArrowDown/ArrowUp move the highlighted row (none highlighted: ArrowDown goes to the first,
 * ArrowUp to the last) and stop at the ends; Enter picks the highlighted row or the only one.
 * Home/End are left to the text box (they move its caret).
 */
export type ListKeyResult = { active: number } | { pick: number } | null;

export function listKey(key: string, active: number, count: number): ListKeyResult {
  if (count === 0) return null;
  const at = active >= 0 && active < count ? active : -1;
  switch (key) {
    case 'ArrowDown':
      return { active: at < 0 ? 0 : Math.min(at + 1, count - 1) };
    case 'ArrowUp':
      return { active: at < 0 ? count - 1 : Math.max(at - 1, 0) };
    case 'Enter':
      return at >= 0 ? { pick: at } : count === 1 ? { pick: 0 } : null;
    default:
      return null;
  }
}
