/**
 * The model providers of a host: `openai`, `anthropic` and `openai-compatible` (Ollama,
 * LM Studio, vLLM, llama.cpp server, OpenRouter, …) through the Vercel AI SDK. `mock` stays
 * built into the core.
 *
 * Keys are read at call time: the environment first (the CLI), then a credential store (the
 * desktop app). They go into request headers only, and are scrubbed from every error.
 *
 * | provider            | key                        | base URL                                          |
 * | ------------------- | -------------------------- | ------------------------------------------------- |
 * | `openai`            | `OPENAI_API_KEY` (needed)  | `OPENAI_BASE_URL`, else api.openai.com            |
 * | `anthropic`         | `ANTHROPIC_API_KEY` (needed) | `ANTHROPIC_BASE_URL`, else api.anthropic.com    |
 * | `openai-compatible` | `OPENAI_COMPATIBLE_API_KEY` (optional) | node `config.baseURL`, else `OPENAI_COMPATIBLE_BASE_URL` |
 *
 * A graph's `baseURL` is honoured for `openai-compatible` only: a shared graph file must not
 * be able to send your OpenAI or Anthropic key to a server of its choosing.
 */
import type { LanguageModel } from 'ai';
import { NodeFailure } from '../../core/errors.js';
import type { ModelProvider, ModelRequest } from '../../core/ports.js';
import { ProviderLimits, type LimitSettings } from './limits.js';
import { PriceTable, type PriceMap } from './prices.js';

export { ProviderLimits, RateLimiter, parseLimits, type LimitSettings, type RateLimit } from './limits.js';
export { PriceTable, SHIPPED_PRICES, type ModelPrice, type PriceMap } from './prices.js';
export { classifyProviderError, scrubSecrets } from './errors.js';

/** Where keys come from besides the environment (a CredentialStore fits). */
export interface SecretSource {
  get(name: string): string | undefined;
  /** Names of every stored secret (so their values are scrubbed too). */
  list?(): string[];
}

export interface ProviderSettings {
  /** Default: process.env (read at call time). */
  env?: Record<string, string | undefined>;
  /** Consulted when the environment has no value. */
  credentials?: SecretSource;
  /** Price overrides, USD per million tokens (win over STATEPIPE_PRICES and the shipped table). */
  prices?: PriceMap;
  /** Per-provider limits (win over STATEPIPE_LIMITS). */
  limits?: LimitSettings;
  /** Where one-time notices go (unknown model prices). Default: console.warn. */
  log?: (message: string) => void;
}

export const PROVIDER_NAMES = ['openai', 'anthropic', 'openai-compatible'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

/** The variables a provider reads. */
export const PROVIDER_ENV: Record<ProviderName, { key: string; baseURL: string; keyRequired: boolean }> = {
  openai: { key: 'OPENAI_API_KEY', baseURL: 'OPENAI_BASE_URL', keyRequired: true },
  anthropic: { key: 'ANTHROPIC_API_KEY', baseURL: 'ANTHROPIC_BASE_URL', keyRequired: true },
  'openai-compatible': { key: 'OPENAI_COMPATIBLE_API_KEY', baseURL: 'OPENAI_COMPATIBLE_BASE_URL', keyRequired: false },
};

const isProviderName = (n: string): n is ProviderName => (PROVIDER_NAMES as readonly string[]).includes(n);

export class ProviderRegistry {
  readonly prices: PriceTable;
  readonly limits: ProviderLimits;
  private readonly env: Record<string, string | undefined>;
  private readonly cache = new Map<ProviderName, ModelProvider>();

  constructor(private readonly settings: ProviderSettings = {}) {
    this.env = settings.env ?? process.env;
    this.prices = new PriceTable({
      env: this.env,
      ...(settings.prices ? { prices: settings.prices } : {}),
      ...(settings.log ? { log: settings.log } : {}),
    });
    this.limits = new ProviderLimits(settings.limits ?? {}, this.env);
  }

  /** A setting: the environment, then the credential store. Blank values count as unset. */
  secret(name: string): string | undefined {
    const v = this.env[name] ?? this.settings.credentials?.get(name);
    return v && v.trim() ? v.trim() : undefined;
  }

  /** Every key value this host knows (for scrubbing). */
  secrets(): string[] {
    const names = new Set<string>(PROVIDER_NAMES.map((n) => PROVIDER_ENV[n].key));
    for (const n of this.settings.credentials?.list?.() ?? []) names.add(n);
    const out = new Set<string>();
    for (const n of names) {
      for (const v of [this.env[n], this.settings.credentials?.get(n)]) if (v && v.trim()) out.add(v.trim());
    }
    return [...out];
  }

  /** The provider, or undefined when it is unknown or its key is missing (the llm node then says which variable to set). */
  get(name: string): ModelProvider | undefined {
    if (!isProviderName(name)) return undefined;
    const vars = PROVIDER_ENV[name];
    if (vars.keyRequired && !this.secret(vars.key)) return undefined;
    let p = this.cache.get(name);
    if (!p) {
      // The AI SDK is loaded on the first real model call, so runs (and CLI starts) that use
      // only the mock provider never pay for it.
      let loaded: Promise<ModelProvider> | undefined;
      const load = () =>
        (loaded ??= import('./ai-sdk.js').then(async ({ aiSdkProvider }) => {
          const sdk = await loadSdk();
          return aiSdkProvider({
            name,
            model: (req: ModelRequest) => this.model(sdk, name, req.model, req.baseURL),
            secrets: () => this.secrets(),
            prices: this.prices,
            limiter: this.limits.for(name),
          });
        }));
      p = { generate: async (req) => (await load()).generate(req) };
      this.cache.set(name, p);
    }
    return p;
  }

  private model(sdk: Sdk, name: ProviderName, modelId: string, nodeBaseURL: string | undefined): LanguageModel {
    const vars = PROVIDER_ENV[name];
    const apiKey = this.secret(vars.key);
    const envBase = this.secret(vars.baseURL);
    if (name === 'openai') {
      if (!apiKey) throw notConfigured(name, vars.key);
      return sdk.createOpenAI({ apiKey, baseURL: envBase ?? 'https://api.openai.com/v1' }).chat(modelId);
    }
    if (name === 'anthropic') {
      if (!apiKey) throw notConfigured(name, vars.key);
      return sdk.createAnthropic({ apiKey, baseURL: envBase ?? 'https://api.anthropic.com/v1' }).languageModel(modelId);
    }
    const baseURL = nodeBaseURL ?? envBase;
    if (!baseURL) {
      throw new NodeFailure(
        'provider',
        'openai-compatible needs a base URL: set config.baseURL on the node or OPENAI_COMPATIBLE_BASE_URL (e.g. http://127.0.0.1:11434/v1 for Ollama)',
        {
          retryable: false,
        },
      );
    }
    return sdk
      .createOpenAICompatible({ name: 'openai-compatible', baseURL, ...(apiKey ? { apiKey } : {}), includeUsage: true })
      .chatModel(modelId);
  }
}

type Sdk = Awaited<ReturnType<typeof loadSdk>>;

async function loadSdk() {
  const [openai, anthropic, compatible] = await Promise.all([
    import('@ai-sdk/openai'),
    import('@ai-sdk/anthropic'),
    import('@ai-sdk/openai-compatible'),
  ]);
  return {
    createOpenAI: openai.createOpenAI,
    createAnthropic: anthropic.createAnthropic,
    createOpenAICompatible: compatible.createOpenAICompatible,
  };
}

function notConfigured(name: string, key: string): NodeFailure {
  return new NodeFailure('provider', `provider "${name}" is not configured: set ${key}`, { retryable: false });
}

export function createProviderRegistry(settings: ProviderSettings = {}): ProviderRegistry {
  return new ProviderRegistry(settings);
}
