/** The time-travel bar: a slider over the run's events (and steps back and forth); every tab follows it. */
import { useId, type JSX } from 'react';
import { Icon } from '../ui/icons';
import { useRunView, useSession } from './context';
import { travelTo } from './session';
import { eventLabel } from './time-travel';

export function TimeTravel(): JSX.Element {
  const { session } = useRunView();
  const lastSeq = useSession((s) => s.live?.lastSeq ?? 0);
  const at = useSession((s) => s.at);
  const status = useSession((s) => s.shown?.status ?? 'queued');
  useSession((s) => s.eventCount); // the readout names the event at the end, which moves while live
  const { events } = session.getState();
  const seq = at ?? lastSeq;
  const current = events.find((e) => e.seq === seq) ?? events.filter((e) => e.seq <= seq).at(-1);
  const id = useId();
  /** The seq of the event before / after the one shown. */
  const step = (dir: -1 | 1) => {
    if (dir < 0) return events.filter((e) => e.seq < seq).at(-1)?.seq ?? 0;
    return events.find((e) => e.seq > seq)?.seq ?? lastSeq;
  };
  const go = (v: number) => travelTo(session, v >= lastSeq ? null : v);
  const label = `${at === null ? 'live · ' : ''}${eventLabel(current)}`;
  return (
    <div className="time-travel" data-testid="time-travel-bar" role="group" aria-label="Time travel">
      <label className="muted small" htmlFor={id}>
        Time travel
      </label>
      <button
        type="button"
        className="btn btn-icon btn-ghost"
        data-testid="time-travel-prev"
        aria-label="One event back"
        disabled={seq <= 0}
        onClick={() => go(step(-1))}
      >
        <Icon name="back" size={13} />
      </button>
      <input
        id={id}
        type="range"
        min={0}
        max={lastSeq}
        step={1}
        value={seq}
        data-testid="time-travel"
        aria-valuetext={label}
        onChange={(e) => go(Number(e.target.value))}
      />
      <button
        type="button"
        className="btn btn-icon btn-ghost"
        data-testid="time-travel-next"
        aria-label="One event on"
        disabled={at === null}
        onClick={() => go(step(1))}
      >
        <Icon name="chevron" size={13} />
      </button>
      <span className="mono small tt-readout" data-testid="time-travel-seq" data-seq={seq}>
        {seq}/{lastSeq}
      </span>
      <span className="small tt-event" data-testid="time-travel-event">
        {label}
      </span>
      <span className={`run-status status-${status}`} data-testid="time-travel-status" data-status={status}>
        {status}
      </span>
      <button
        type="button"
        className="btn btn-sm"
        data-testid="time-travel-live"
        disabled={at === null}
        onClick={() => travelTo(session, null)}
      >
        Live
      </button>
    </div>
  );
}
