// Smoke test for the local PostgreSQL (scripts/services.sh up): the `risk` role can log in to
// its database, create a schema and a table, and write and read a row. It must fail, not
// skip, when the database is unreachable: its job is to prove the database works.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import pg from 'pg';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://risk:risk@127.0.0.1:5433/risk';

test(
  'postgres: create a schema and table, insert and select a row, drop the schema',
  { timeout: 30_000 },
  async () => {
    // Fail fast on an unreachable server instead of waiting for the test timeout.
    const client = new pg.Client({
      connectionString: DATABASE_URL,
      connectionTimeoutMillis: 5_000,
    });
    // Schema names are identifiers, not parameters: build it only from hex characters.
    const schema = `smoke_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    let schemaExists = false;

    await client.connect();
    try {
      await client.query(`CREATE SCHEMA ${schema}`);
      schemaExists = true;
      await client.query(
        `CREATE TABLE ${schema}.smoke (id bigint PRIMARY KEY, note text NOT NULL, amount numeric(12, 2) NOT NULL, at timestamptz NOT NULL DEFAULT now())`,
      );
      const inserted = await client.query(
        `INSERT INTO ${schema}.smoke (id, note, amount) VALUES ($1, $2, $3)`,
        [1, 'smoke ✓', '12.34'],
      );
      assert.equal(inserted.rowCount, 1);

      const { rows } = await client.query<{
        id: string;
        note: string;
        amount: string;
        recent: boolean;
      }>(
        `SELECT id, note, amount, at > now() - interval '1 minute' AS recent FROM ${schema}.smoke WHERE id = $1`,
        [1],
      );
      // bigint and numeric come back as strings from pg, by design (no precision loss).
      assert.deepEqual(rows, [{ id: '1', note: 'smoke ✓', amount: '12.34', recent: true }]);

      await client.query(`DROP SCHEMA ${schema} CASCADE`);
      schemaExists = false;
    } finally {
      // Best effort only, so a cleanup error never hides the assertion that failed above.
      if (schemaExists) await client.query(`DROP SCHEMA ${schema} CASCADE`).catch(() => undefined);
      await client.end();
    }
  },
);
