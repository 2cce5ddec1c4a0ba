import { ROOT_CONTEXT, context, propagation } from '@opentelemetry/api';

/**
 * Runs `fn` in the trace context the caller sent (W3C `traceparent`/`tracestate`, as HTTP
 * headers or gRPC metadata), so that the scoring span is a child of the caller's span. Without
 * tracing configured this is the OpenTelemetry API's no-op: `fn` runs as is.
 */
export function inCallerContext<T>(carrier: Record<string, unknown>, fn: () => T): T {
  return context.with(propagation.extract(ROOT_CONTEXT, carrier), fn);
}
