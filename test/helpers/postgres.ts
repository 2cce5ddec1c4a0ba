import { randomUUID } from 'node:crypto';
import pg from 'pg';

/** The local server of scripts/services.sh unless the environment names another. */
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://risk:risk@127.0.0.1:5433/risk';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  // Fail fast on an unreachable server instead of waiting for the test timeout.
  const c = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 5_000 });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/**
 * A throwaway database on the real server: tests are isolated from each other down to their
 * LISTEN/NOTIFY channels, which are per database. Names are built from hex characters only.
 */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `test_${label.replaceAll(/[^a-z0-9]/g, '')}_${randomUUID().replaceAll('-', '').slice(0, 10)}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () =>
      admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}
