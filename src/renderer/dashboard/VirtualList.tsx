/**
 * A windowing list: fixed row height, only the rows in view (plus a few either side) are in
 * the DOM, absolutely positioned inside a spacer as tall as every row together. Scrolling
 * 10 000 rows renders ~40 at a time; scroll updates are batched to one per frame.
 */
import { useEffect, useRef, useState, type JSX, type ReactNode } from 'react';
import { useClientSize } from '../ui/use-client-size';

export interface VirtualListProps {
  count: number;
  rowHeight: number;
  renderRow(index: number, top: number): ReactNode;
  /** Called with the first and last index rendered whenever that range changes. */
  onRange?(first: number, last: number): void;
  overscan?: number;
  className?: string;
  testId?: string;
  /** Changing it scrolls back to the top (a new query). */
  resetKey?: string;
}

export function visibleRange(
  count: number,
  rowHeight: number,
  scrollTop: number,
  height: number,
  overscan: number,
): [number, number] {
  if (count === 0) return [0, -1];
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(count - 1, Math.ceil((scrollTop + height) / rowHeight) + overscan);
  return [first, Math.max(first - 1, last)];
}

export function VirtualList({
  count,
  rowHeight,
  renderRow,
  onRange,
  overscan = 6,
  className,
  testId,
  resetKey,
}: VirtualListProps): JSX.Element {
  const ref = useRef<HTMLDivElement>(null);
  const frame = useRef(0);
  const [scrollTop, setScrollTop] = useState(0);
  const { height } = useClientSize(ref, { width: 0, height: 600 });

  useEffect(() => {
    if (ref.current) ref.current.scrollTop = 0;
    setScrollTop(0);
  }, [resetKey]);

  useEffect(() => () => cancelAnimationFrame(frame.current), []);

  const [first, last] = visibleRange(count, rowHeight, scrollTop, height, overscan);
  useEffect(() => {
    onRange?.(first, last);
  }, [first, last, onRange]);

  const rows: ReactNode[] = [];
  for (let i = first; i <= last; i++) rows.push(renderRow(i, i * rowHeight));
  return (
    <div
      ref={ref}
      className={`vlist ${className ?? ''}`}
      data-testid={testId}
      data-first={first}
      data-last={last}
      onScroll={(e) => {
        const top = e.currentTarget.scrollTop;
        cancelAnimationFrame(frame.current);
        frame.current = requestAnimationFrame(() => setScrollTop(top));
      }}
    >
      <div className="vlist-spacer" style={{ height: count * rowHeight }}>
        {rows}
      </div>
    </div>
  );
}
