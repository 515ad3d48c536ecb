/**
 * OpenTelemetry traces, built from the committed RunEvent stream (the core knows nothing of it).
 *
 * Off unless `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set:
 * then, and only then, the SDK is imported (dynamically) and spans are exported over OTLP/HTTP
 * with JSON bodies to `<endpoint>/v1/traces`. `OTEL_SDK_DISABLED=true` turns it off again.
 *
 * Spans: one per run (`run <graphId>`, the root of a trace), one per node attempt
 * (`node <nodeId>`), and under an attempt one per model call (`chat <model>`, GenAI semantic
 * conventions: gen_ai.system, gen_ai.request.model, gen_ai.usage.input_tokens/output_tokens,
 * plus statepipe.cost_usd) and per agent tool call (`execute_tool <name>`). Times are the
 * events' commit times. A run that is still open when the process stops (waiting, paused)
 * has its span ended then, with `statepipe.run.status` saying where it stood.
 */
import { SpanBuilder, type Sdk, type TelemetryHost } from './telemetry-spans.js';

export type { TelemetryHost };

export interface Telemetry {
  /** Ends open spans and flushes the exporter. */
  shutdown(): Promise<void>;
}

/** Where traces go, from the environment; undefined when telemetry is off. */
export function tracesEndpoint(env: Record<string, string | undefined> = process.env): string | undefined {
  if ((env['OTEL_SDK_DISABLED'] ?? '').toLowerCase() === 'true') return undefined;
  const traces = env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']?.trim();
  if (traces) return traces;
  const base = env['OTEL_EXPORTER_OTLP_ENDPOINT']?.trim();
  return base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined;
}

/** Starts exporting traces when the environment asks for it; costs nothing (no import) otherwise. */
export function startTelemetry(
  host: TelemetryHost,
  opts: { version?: string; env?: Record<string, string | undefined> } = {},
): Telemetry | undefined {
  const url = tracesEndpoint(opts.env);
  if (!url) return undefined;
  let builder: SpanBuilder | undefined;
  const ready = load(url, opts.version ?? '0.0.0').then(
    (sdk) => {
      builder = new SpanBuilder(sdk, host);
      return sdk;
    },
    (err: unknown) => {
      process.stderr.write(
        `statepipe: warning: OpenTelemetry is off: ${err instanceof Error ? err.message : String(err)}\n`,
      );
      return undefined;
    },
  );
  // Events are handled in commit order, each batch once the SDK is loaded and its runs' graphs are known.
  let chain: Promise<unknown> = ready;
  const unsubscribe = host.subscribe((events) => {
    chain = chain.then(async () => {
      await builder?.graphsOf(events);
      builder?.onEvents(events);
    });
    chain.catch(() => undefined);
  });
  return {
    async shutdown() {
      unsubscribe();
      const sdk = await ready;
      await chain.catch(() => undefined);
      builder?.endAll();
      await sdk?.provider.shutdown().catch(() => undefined);
    },
  };
}

async function load(url: string, version: string): Promise<Sdk> {
  const [api, base, otlp, resources, semconv] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/semantic-conventions'),
  ]);
  const exporter = new otlp.OTLPTraceExporter({ url });
  const resource = resources.resourceFromAttributes({
    [semconv.ATTR_SERVICE_NAME]: 'statepipe',
    [semconv.ATTR_SERVICE_VERSION]: version,
  });
  const provider = new base.BasicTracerProvider({
    resource,
    spanProcessors: [new base.BatchSpanProcessor(exporter, { scheduledDelayMillis: 1000 })],
  });
  return { provider, api };
}
