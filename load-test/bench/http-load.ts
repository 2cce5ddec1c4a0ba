import autocannon from 'autocannon';
import * as hdr from 'hdr-histogram-js';

export interface HttpLoadOptions {
  url: string;
  path?: string;
  connections: number;
  durationSeconds: number;
  /** Requests per second across all connections; unset = as fast as the server answers. */
  rate?: number;
  body: () => string;
}

export interface LoadResult {
  requests: number;
  throughput: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  errors: number;
  non2xx: number;
}

/**
 * Drives an HTTP server with autocannon and records every 2xx latency in microseconds (autocannon's
 * own histogram keeps whole milliseconds, too coarse for a service that answers in one).
 */
export async function runHttpLoad(o: HttpLoadOptions): Promise<LoadResult> {
  const hist = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  });
  const options: autocannon.Options = {
    url: o.url,
    connections: o.connections,
    duration: o.durationSeconds,
    ...(o.rate !== undefined && { overallRate: o.rate }),
    requests: [
      {
        method: 'POST',
        path: o.path ?? '/v1/score',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => ({ ...req, body: o.body() }),
      },
    ],
  };
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(options, (err: Error | null, res: autocannon.Result) =>
      err ? reject(err) : resolve(res),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
      if (statusCode >= 200 && statusCode < 300) {
        hist.recordValue(Math.max(1, Math.round(responseTimeMs * 1000)));
      }
    });
  });
  const ok = hist.totalCount;
  return {
    requests: ok,
    throughput: ok / o.durationSeconds,
    p50Ms: hist.getValueAtPercentile(50) / 1000,
    p99Ms: hist.getValueAtPercentile(99) / 1000,
    p999Ms: hist.getValueAtPercentile(99.9) / 1000,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}
