import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { App, BuildAppOptions } from '../../src/app/build-app.ts';
import { buildApp } from '../../src/app/build-app.ts';
import { loadConfig } from '../../src/app/config.ts';

/**
 * Builds the app as main.ts would, from an environment, without listening. Rule versions are
 * kept in memory unless the test says otherwise (EMBEDDED_STORE=sqlite, the default, writes a
 * file under DATA_DIR: the tests of embedded mode ask for it).
 */
export async function buildTestApp(
  env: Record<string, string> = {},
  opts: BuildAppOptions = {},
): Promise<App> {
  return buildApp(
    loadConfig({
      LOG_LEVEL: 'silent',
      EMBEDDED_STORE: 'memory',
      // Flags go to DATA_DIR/flags.ndjson without Kafka: keep them out of the working tree.
      DATA_DIR: join(tmpdir(), `risk-test-${process.pid}`),
      ...env,
    }),
    opts,
  );
}

/** POST /v1/score through fastify's inject(). */
export async function postScore(app: App, body: unknown, headers: Record<string, string> = {}) {
  const res = await app.http.inject({
    method: 'POST',
    url: '/v1/score',
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return {
    status: res.statusCode,
    headers: res.headers,
    body: res.json<Record<string, unknown>>(),
  };
}
