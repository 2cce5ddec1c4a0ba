import { randomUUID } from 'node:crypto';
import pg from 'pg';

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://risk:risk@127.0.0.1:5433/risk';

export interface ThrowawayDb {
  url: string;
  name: string;
  /** Runs one statement on the throwaway database with a short-lived connection. */
  query<T extends pg.QueryResultRow>(text: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

/**
 * A database of its own for one test (the `risk` role has CREATEDB), so that tests never see
 * each other's tables, rows or notifications. `drop()` removes it, connections and all.
 */
export async function createThrowawayDb(prefix = 'test'): Promise<ThrowawayDb> {
  const name = `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async query<T extends pg.QueryResultRow>(text: string, params?: unknown[]) {
      const c = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 5_000 });
      await c.connect();
      try {
        return (await c.query<T>(text, params)).rows;
      } finally {
        await c.end();
      }
    },
    drop: () => dropDatabase(name),
  };
}

/**
 * DROP DATABASE … WITH (FORCE), retried: it fails while a backend the `risk` role may not
 * terminate (an autovacuum worker) is connected. A database left behind after the retries is
 * reported, not failed on: it harms no other test.
 */
export async function dropDatabase(name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      return;
    } catch (err) {
      if (attempt >= 5) {
        process.stderr.write(`could not drop test database ${name}: ${String(err)}\n`);
        return;
      }
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
  }
}

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 5_000 });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}
