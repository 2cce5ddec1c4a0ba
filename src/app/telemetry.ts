import type { Span, Tracer } from '@opentelemetry/api';
import { ROOT_CONTEXT, SpanStatusCode, defaultTextMapGetter, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { Histogram } from 'prom-client';
import type { ScoreTrace, Stage, Telemetry } from '../pipeline/telemetry.ts';

const STAGES: readonly Stage[] = ['features', 'model', 'rules', 'flag', 'decision_store'];

export interface TelemetryOptions {
  /** `risk_stage_duration_seconds{stage}`. */
  stageSeconds: Histogram<'stage'>;
  /** Set when tracing is on: every call becomes a `risk.score` span with a child per stage. */
  tracer?: Tracer;
  /** What each store-backed stage talks to, as a span attribute (`redis`, `postgres`, …). */
  stores?: Partial<Record<Stage, string>>;
}

const w3c = new W3CTraceContextPropagator();

/**
 * Stage durations for the histogram, always; spans only when a tracer is given, so that with
 * tracing off the hot path makes no OpenTelemetry call at all. Parents are passed explicitly
 * (the caller's context from its headers, then the call's span): no async context manager,
 * whose AsyncLocalStorage would tax every promise of every call, sampled or not.
 */
export function createTelemetry(opts: TelemetryOptions): Telemetry {
  // Label-bound children, resolved once: an observation then skips the label lookup.
  const observe = {} as Record<Stage, { observe(v: number): void }>;
  for (const s of STAGES) observe[s] = opts.stageSeconds.labels({ stage: s });
  const { tracer } = opts;

  const timingOnly: ScoreTrace = {
    begin(name) {
      const t0 = performance.now();
      return () => observe[name].observe((performance.now() - t0) / 1000);
    },
    end: () => undefined,
  };
  if (tracer === undefined) return { start: () => timingOnly };

  return {
    start(tx, carrier) {
      const callerContext =
        carrier === undefined
          ? ROOT_CONTEXT
          : w3c.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter);
      const root: Span = tracer.startSpan(
        'risk.score',
        { attributes: { 'risk.transaction_id': tx.transaction_id } },
        callerContext,
      );
      // Not sampled: its children would not be either; time the stages only.
      if (!root.isRecording()) return timingOnly;
      const parent = trace.setSpan(ROOT_CONTEXT, root);
      return {
        begin(name) {
          const t0 = performance.now();
          const store = opts.stores?.[name];
          const span = tracer.startSpan(
            `risk.${name}`,
            store === undefined ? undefined : { attributes: { 'risk.store': store } },
            parent,
          );
          return () => {
            observe[name].observe((performance.now() - t0) / 1000);
            span.end();
          };
        },
        end(outcome) {
          if ('error' in outcome) {
            const err = outcome.error;
            root.recordException(err instanceof Error ? err : String(err));
            root.setStatus({ code: SpanStatusCode.ERROR });
          } else {
            const r = outcome.response;
            root.setAttributes({
              'risk.decision': r.decision,
              'risk.score': r.risk_score,
              'risk.ruleset_version': r.ruleset_version,
              'risk.model_version': r.model_version ?? '',
              'risk.degraded': r.degraded,
              'risk.replayed': outcome.replayed,
            });
          }
          root.end();
        },
      };
    },
  };
}
