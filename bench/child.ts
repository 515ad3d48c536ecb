/**
 * One measurement in a fresh process (clean memory figures, no JIT state shared between modes).
 * Usage: node --expose-gc --import tsx bench/child.ts <spec-json> <result-file>
 */
import fs from 'node:fs';
import type { CaseResult, CaseSpec } from './lib/cases.js';
import { cliCase } from './lib/cli-case.js';
import { stepsCase } from './lib/dbos-case.js';
import { dashboardCase } from './lib/dashboard-case.js';
import { effectCase } from './lib/effect-case.js';
import { engineCase } from './lib/engine-case.js';
import { langGraphCase } from './lib/langgraph-case.js';
import { mapCase, mapResumeBuild, mapResumeCase } from './lib/map-case.js';
import { pgDashboardCase, pgRawCase } from './lib/pg-case.js';
import { rawCase } from './lib/raw-case.js';
import { resumeBuild, resumeCase } from './lib/resume-case.js';
import { ensureScaleDb } from './lib/scale-db.js';
import { serveCase } from './lib/serve-case.js';
import { workersCase } from './lib/workers-case.js';

async function run(spec: CaseSpec): Promise<CaseResult> {
  switch (spec.kind) {
    case 'engine':
      return engineCase(spec);
    case 'raw':
      return rawCase(spec);
    case 'langgraph':
      return langGraphCase(spec);
    case 'resume-build':
      return resumeBuild(spec);
    case 'resume':
      return resumeCase(spec);
    case 'dashboard':
      return dashboardCase(spec);
    case 'scale-db':
      return ensureScaleDb(spec.runs, spec.events, (s) => void process.stderr.write(`${s}\n`));
    case 'cli':
      return cliCase(spec);
    case 'serve':
      return serveCase(spec);
    case 'map':
      return mapCase(spec);
    case 'map-resume-build':
      return mapResumeBuild(spec);
    case 'map-resume':
      return mapResumeCase(spec);
    case 'pg-raw':
      return pgRawCase(spec);
    case 'pg-dashboard':
      return pgDashboardCase(spec);
    case 'pg-workers':
      return workersCase(spec);
    case 'pg-steps':
      return stepsCase(spec);
    case 'effects':
      return effectCase(spec);
    case 'restate':
      return (await import('./lib/restate-case.js')).restateCase(spec);
    // Loaded only here: Chromium's driver and the web host must not weigh on the other cases' memory figures.
    case 'streaming':
      return (await import('./lib/streaming-case.js')).streamingCase(spec);
    case 'canvas':
      return (await import('./lib/canvas-case.js')).canvasCase(spec);
    case 'load':
      return (await import('./lib/load-case.js')).loadCase(spec);
  }
}

const [specJson, out] = process.argv.slice(2);
if (!specJson || !out) {
  console.error('usage: child.ts <spec-json> <result-file>');
  process.exit(2);
}
const result = await run(JSON.parse(specJson) as CaseSpec);
fs.writeFileSync(out, JSON.stringify(result));
// Timers of finished runs (node timeouts, lease polls) must not keep the process alive.
process.exit(0);
