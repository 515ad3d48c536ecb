/** An element's client size in CSS pixels, kept up to date as it resizes. */
import { useLayoutEffect, useState, type RefObject } from 'react';

export interface ClientSize {
  width: number;
  height: number;
}

/**
 * `initial` until the element is measured. `attached` changes when the element under `ref` may
 * have appeared (a component that renders it only sometimes), so it is measured then.
 */
export function useClientSize(
  ref: RefObject<HTMLElement | null>,
  initial: ClientSize,
  attached: unknown = true,
): ClientSize {
  const [size, setSize] = useState(initial);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = () =>
      setSize((s) =>
        s.width === el.clientWidth && s.height === el.clientHeight
          ? s
          : { width: el.clientWidth, height: el.clientHeight },
      );
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, [ref, attached]);
  return size;
}
