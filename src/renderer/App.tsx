import { useState, type JSX } from 'react';

const TABS = ['Editor', 'Runs', 'Settings'] as const;
type Tab = (typeof TABS)[number];

export function App(): JSX.Element {
  const [tab, setTab] = useState<Tab>('Editor');
  return (
    <div className="app">
      <header className="app-header">
        <h1 className="app-title">statepipe</h1>
        <nav className="app-tabs" role="tablist" aria-label="Views">
          {TABS.map((name) => (
            <button
              key={name}
              type="button"
              role="tab"
              aria-selected={tab === name}
              data-testid={`tab-${name.toLowerCase()}`}
              className={tab === name ? 'tab tab-active' : 'tab'}
              onClick={() => setTab(name)}
            >
              {name}
            </button>
          ))}
        </nav>
      </header>
      <main className="app-main" role="tabpanel" aria-label={tab}>
        {tab === 'Editor' && <p>Graph editor: coming soon.</p>}
        {tab === 'Runs' && <p>Runs dashboard: coming soon.</p>}
        {tab === 'Settings' && <p>Settings: coming soon.</p>}
      </main>
    </div>
  );
}
