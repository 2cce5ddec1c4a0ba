// The safety nets behind LISTEN/NOTIFY, on the real server: a change whose notification never
// came is picked up by the periodic check, and a listening connection that the server drops is
// re-established.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { App } from '../../src/app/build-app.ts';
import type { ThrowawayDb } from '../helpers/pg.ts';
import { createThrowawayDb } from '../helpers/pg.ts';
import { buildTestApp, postScore } from '../helpers/app.ts';
import { waitFor } from '../helpers/fakes.ts';
import { makeTx } from '../helpers/tx.ts';

let db: ThrowawayDb;
let app: App;
before(async () => {
  db = await createThrowawayDb('reload');
});
after(async () => {
  await db.drop();
});

async function withApp(pollMs: number, fn: () => Promise<void>): Promise<void> {
  app = await buildTestApp({ DATABASE_URL: db.url, RULES_POLL_INTERVAL_MS: String(pollMs) });
  try {
    await fn();
  } finally {
    await app.close();
  }
}

const sql = <T extends object>(text: string, params: unknown[] = []): Promise<T[]> =>
  db.query<T & Record<string, unknown>>(text, params);

async function versionScored(): Promise<string> {
  return String((await postScore(app, makeTx())).body.ruleset_version);
}

/** Waits until scoring answers with `version`. */
const scoredWith = (version: string, ms: number): Promise<void> =>
  waitFor(async () => (await versionScored()) === version, ms, `version ${version} used`);

/** A second version written behind the service's back: no NOTIFY is sent. */
async function insertSilently(version: number): Promise<void> {
  await sql(
    `INSERT INTO ruleset_versions (version, rules, rule_count, content_hash, author, source)
     SELECT $1::int, rules, rule_count, 'sha256:silent' || $1::text, 'test', 'api' FROM ruleset_versions WHERE version = 1`,
    [version],
  );
  await sql('UPDATE ruleset_active SET version = $1', [version]);
}

test('a change without a notification is picked up by the periodic check', () =>
  withApp(200, async () => {
    assert.equal(await versionScored(), '1');
    await insertSilently(2);
    await scoredWith('2', 30_000);
  }));

// The periodic check is set to a minute here: only a notification can swap within 20 s (a
// deadline for a loaded machine, still well short of the periodic check).
test('a dropped listening connection is re-established and notifications flow again', () =>
  withApp(60_000, async () => {
    // Kill the service's LISTEN connection for rules from the server side (the model registry
    // listens on a connection of its own).
    const killed = await sql<{ pid: number }>(
      `SELECT pg_terminate_backend(pid) AS ok, pid FROM pg_stat_activity
      WHERE datname = current_database() AND query ILIKE 'LISTEN%risk_rules_changed%'
        AND pid <> pg_backend_pid()`,
    );
    assert.equal(killed.length, 1, 'the service had one connection listening for rules');
    // Wait for the reconnect (backoff starts at 200 ms with jitter).
    await waitFor(
      async () => {
        const listening = await sql<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE datname = current_database()
            AND query ILIKE 'LISTEN%risk_rules_changed%'`,
        );
        return listening.length === 1 && listening[0]?.pid !== killed[0]?.pid;
      },
      30_000,
      'the listener reconnected',
    );
    // A change as another replica's publish makes it: the new version, then its NOTIFY.
    assert.equal(await versionScored(), '2');
    await insertSilently(3);
    await sql(`SELECT pg_notify('risk_rules_changed', '3')`);
    await scoredWith('3', 20_000);
  }));
