/** Settings: the theme, which host the studio is connected to, where the data lives, the version. */
import { useEffect, useState, type JSX } from 'react';
import type { MethodOutput } from '../../contract/api';
import { hostClient } from '../api/client';
import { Icon } from '../ui/icons';
import { SegmentedRadio } from '../ui/SegmentedRadio';
import { BreakersCard } from './BreakersCard';
import { ConnectionCard } from './ConnectionCard';
import { setThemeChoice, useTheme, type ThemeChoice } from '../ui/theme';

export function SettingsView(): JSX.Element {
  const [info, setInfo] = useState<MethodOutput<'app.info'> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const { choice, theme } = useTheme();
  useEffect(() => {
    hostClient()
      .call('app.info', {})
      .then(setInfo)
      .catch((err: unknown) => setError(err instanceof Error ? err.message : String(err)));
  }, []);
  const choices: { value: ThemeChoice; label: string; icon?: 'sun' | 'moon' }[] = [
    { value: 'light', label: 'Light', icon: 'sun' },
    { value: 'dark', label: 'Dark', icon: 'moon' },
    { value: 'system', label: 'System' },
  ];
  return (
    <div className="page" data-testid="settings">
      <h2 className="page-title">Settings</h2>
      <section className="card">
        <h3>Appearance</h3>
        <SegmentedRadio
          label="Theme"
          value={choice}
          options={choices.map((c) => ({
            value: c.value,
            label: (
              <>
                {c.icon && <Icon name={c.icon} size={14} />} {c.label}
              </>
            ),
          }))}
          testId={(v) => `theme-${v}`}
          onChange={setThemeChoice}
        />
        <p className="muted small">
          Now showing the {theme} theme{choice === 'system' ? ', following the system setting' : ''}.
        </p>
      </section>
      <ConnectionCard />
      <section className="card">
        <h3>About</h3>
        {error && <div className="field-message">{error}</div>}
        <dl className="facts">
          <dt>Version</dt>
          <dd data-testid="app-version">{info?.version ?? '…'}</dd>
          <dt>Database</dt>
          <dd className="mono" data-testid="db-path">
            {info?.database ?? '…'}
          </dd>
          <dt>Host</dt>
          <dd>{info ? (info.host === 'electron' ? 'Desktop app' : 'Browser (statepipe serve)') : '…'}</dd>
        </dl>
      </section>
      <BreakersCard />
    </div>
  );
}
