/** Light/dark theme: the person's choice (localStorage) or else the system's (prefers-color-scheme). */
import { useEffect, useSyncExternalStore } from 'react';

export type ThemeChoice = 'light' | 'dark' | 'system';
export const THEME_KEY = 'statepipe.theme';

const listeners = new Set<() => void>();
const media = typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: dark)') : null;

function stored(): ThemeChoice {
  try {
    const v = localStorage.getItem(THEME_KEY);
    return v === 'light' || v === 'dark' ? v : 'system';
  } catch {
    return 'system';
  }
}

export function setThemeChoice(choice: ThemeChoice): void {
  try {
    if (choice === 'system') localStorage.removeItem(THEME_KEY);
    else localStorage.setItem(THEME_KEY, choice);
  } catch {
    /* ignore */
  }
  for (const fn of listeners) fn();
}

const subscribe = (fn: () => void) => {
  listeners.add(fn);
  media?.addEventListener('change', fn);
  return () => {
    listeners.delete(fn);
    media?.removeEventListener('change', fn);
  };
};

export function resolveTheme(choice: ThemeChoice): 'light' | 'dark' {
  return choice === 'system' ? (media?.matches ? 'dark' : 'light') : choice;
}

/** The choice and the resolved theme; applies `data-theme` to <html>. */
export function useTheme(): { choice: ThemeChoice; theme: 'light' | 'dark' } {
  const choice = useSyncExternalStore(subscribe, stored);
  const theme = useSyncExternalStore(subscribe, () => resolveTheme(stored()));
  useEffect(() => {
    document.documentElement.dataset['theme'] = theme;
    document.documentElement.style.colorScheme = theme;
  }, [theme]);
  return { choice, theme };
}
