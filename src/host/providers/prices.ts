/**
 * Model prices: USD per million input/output tokens. The table that ships with the project
 * (prices.json) can be extended or overridden by a `prices` option or by `STATEPIPE_PRICES`,
 * the path of a JSON file shaped like prices.json (`{ "models": { name: { input, output } } }`)
 * or a plain `{ name: { input, output } }` map.
 *
 * Lookup: `<provider>/<model>`, then `<model>`, then the longest name the model starts with
 * (followed by `-`, `:` or `@`), so dated versions find their family. Unknown models cost 0
 * and are reported once per process.
 */
import { readFileSync } from 'node:fs';
import type { Usage } from '../../core/events.js';
import shipped from './prices.json' with { type: 'json' };

export interface ModelPrice {
  /** USD per million input tokens. */
  input: number;
  /** USD per million output tokens. */
  output: number;
}

export type PriceMap = Record<string, ModelPrice>;

function asPriceMap(value: unknown, where: string): PriceMap {
  const root =
    value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  if (!root) throw new Error(`${where}: prices must be a JSON object`);
  const models =
    root['models'] && typeof root['models'] === 'object' ? (root['models'] as Record<string, unknown>) : root;
  const out: PriceMap = {};
  for (const [name, p] of Object.entries(models)) {
    if (name.startsWith('_')) continue;
    const o = p as Record<string, unknown> | null;
    const input = o?.['input'];
    const output = o?.['output'];
    if (typeof input !== 'number' || typeof output !== 'number' || input < 0 || output < 0) {
      throw new Error(`${where}: price of "${name}" needs numbers "input" and "output" (USD per million tokens)`);
    }
    out[name] = { input, output };
  }
  return out;
}

export const SHIPPED_PRICES: PriceMap = asPriceMap(shipped, 'prices.json');

/** Reads a prices file (`STATEPIPE_PRICES`). Errors name the file. */
export function readPriceFile(path: string): PriceMap {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`STATEPIPE_PRICES ${path}: cannot read (${(err as { code?: string }).code ?? String(err)})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`STATEPIPE_PRICES ${path}: not JSON (${(err as Error).message})`);
  }
  return asPriceMap(parsed, `STATEPIPE_PRICES ${path}`);
}

export interface PriceTableOptions {
  /** Overrides (win over the file and the shipped table). */
  prices?: PriceMap;
  /** Default: process.env. `STATEPIPE_PRICES` names an override file. */
  env?: Record<string, string | undefined>;
  /** Where the one-time "no price" line goes. Default: console.warn. */
  log?: (message: string) => void;
}

export class PriceTable {
  private readonly table: PriceMap;
  private readonly names: string[];
  private readonly warned = new Set<string>();
  private readonly log: (message: string) => void;

  constructor(opts: PriceTableOptions = {}) {
    const env = opts.env ?? process.env;
    const file = env['STATEPIPE_PRICES'];
    const fromFile = file ? readPriceFile(file) : {};
    this.table = { ...SHIPPED_PRICES, ...fromFile, ...(opts.prices ? asPriceMap(opts.prices, 'prices option') : {}) };
    this.names = Object.keys(this.table).sort((a, b) => b.length - a.length);
    this.log = opts.log ?? ((m) => console.warn(m));
  }

  /** The price of a model, or undefined when the table does not know it. */
  lookup(provider: string, model: string): ModelPrice | undefined {
    const exact = this.table[`${provider}/${model}`] ?? this.table[model];
    if (exact) return exact;
    const bare = model.includes('/') ? model.slice(model.lastIndexOf('/') + 1) : model;
    for (const candidate of [`${provider}/${model}`, model, bare]) {
      for (const name of this.names) {
        if (candidate.length > name.length && candidate.startsWith(name) && /[-:@]/.test(candidate[name.length]!)) {
          return this.table[name];
        }
      }
    }
    return this.table[bare];
  }

  /** USD for `usage` on `model`; 0 (reported once) when the model has no price. */
  cost(provider: string, model: string, usage: Usage): number {
    const price = this.lookup(provider, model);
    if (!price) {
      const key = `${provider}/${model}`;
      if (!this.warned.has(key)) {
        this.warned.add(key);
        this.log(
          `[statepipe] no price for model "${model}" (${provider}); its cost is counted as 0. Add it with STATEPIPE_PRICES.`,
        );
      }
      return 0;
    }
    const usd = (usage.inputTokens * price.input + usage.outputTokens * price.output) / 1_000_000;
    return Math.round(usd * 1e9) / 1e9;
  }
}
