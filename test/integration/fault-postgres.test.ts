// Fault test on the real database: PostgreSQL is stopped and started while transactions are
// scored. Scoring keeps answering; window writes fail and are retried under their flush ids;
// flags go to the local file outbox meanwhile. Afterwards the windows equal the recomputation
// from the answers, and every flag is on the topic. PostgreSQL is restarted in a `finally`.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../../src/app/build-app.ts';
import { loadConfig } from '../../src/app/config.ts';
import { flagIdFor } from '../../src/domain/flag.ts';
import { postScore } from '../helpers/app.ts';
import { waitFor } from '../helpers/fakes.ts';
import {
  collectFlags,
  createTopic,
  deleteTopic,
  serverModeEnv,
  uniqueTopic,
} from '../helpers/kafka.ts';
import { percentile, startLoad } from '../helpers/load.ts';
import { createThrowawayDb } from '../helpers/pg.ts';
import { serviceCtl } from '../helpers/services.ts';
import { expectedWindows, storedWindows, trafficTx } from '../helpers/windows.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'risk-fault-pg-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

test(
  'PostgreSQL stopped and started under load: windows exact, every flag delivered',
  { timeout: 120_000 },
  async (t) => {
    const db = await createThrowawayDb('fault_pg');
    const topic = uniqueTopic('flags-pg-fault');
    await createTopic(topic);
    const app = await buildApp(
      loadConfig(serverModeEnv(db.url, topic, dataDir, { WINDOW_FLUSH_INTERVAL_MS: '200' })),
    );
    const base = Date.parse('2024-04-02T09:00:00Z');
    let stopLoad = false;
    let collector;
    let pgStopped = false;
    try {
      let phase: 'up' | 'down' | 'back' = 'up';
      const phaseOf = new Map<string, string>();
      const load = startLoad({
        concurrency: 8,
        next: (i) => {
          const tx = trafficTx('fp', i, base);
          phaseOf.set(tx.transaction_id, phase);
          return tx;
        },
        stop: () => stopLoad,
        send: (tx) => postScore(app, tx),
      });
      // Each phase lasts until enough has happened in it, however slow the machine.
      const answeredIn = (p: string) => () => {
        const inPhase = load.live.ok.filter((o) => phaseOf.get(o.tx.transaction_id) === p);
        return inPhase.length >= 20 && inPhase.some((o) => o.response.risk_flag);
      };
      const metric = async (re: RegExp) =>
        re.test((await app.http.inject({ method: 'GET', url: '/metrics' })).body);
      await waitFor(answeredIn('up'), 60_000, 'scored with PostgreSQL up');
      const scoredBefore = (
        await db.query<{ n: number }>(
          "SELECT coalesce(sum(transaction_count), 0)::int AS n FROM risk_windows WHERE dimension = 'all'",
        )
      )[0]?.n;
      pgStopped = true;
      const stopMs = serviceCtl('stop', 'postgres');
      phase = 'down';
      // Down until scoring went on without it: answers (flagged ones among them), a window
      // write that failed, and a flag handed to the file outbox.
      await waitFor(
        async () =>
          answeredIn('down')() &&
          (await metric(/risk_window_flush_failures_total [1-9]/)) &&
          (await metric(/risk_flags_fallback_total [1-9]/)),
        60_000,
        'scored, window write failed and flags spilled while PostgreSQL is down',
      );
      const startMs = serviceCtl('start', 'postgres');
      pgStopped = false;
      phase = 'back';
      await waitFor(answeredIn('back'), 60_000, 'scored after PostgreSQL came back');
      stopLoad = true;
      const { ok, failed } = await load.done;
      assert.deepEqual(failed, [], 'every call answered');
      const ms = ok.map((o) => o.ms);
      t.diagnostic(
        `postgres stop ${stopMs} ms, start ${startMs} ms; ${ok.length} scored ` +
          `(p50 ${percentile(ms, 50).toFixed(1)} ms, p99 ${percentile(ms, 99).toFixed(1)} ms, ` +
          `max ${Math.max(...ms).toFixed(0)} ms); ${scoredBefore} in windows before the stop`,
      );
      const metrics = await app.http.inject({ method: 'GET', url: '/metrics' });
      assert.match(metrics.body, /risk_window_flush_failures_total [1-9]/);
      assert.match(metrics.body, /risk_flags_fallback_total [1-9]/);

      await app.close();
      assert.deepEqual(
        await storedWindows(db),
        expectedWindows(
          ok.map((o) => ({ tx: o.tx, response: o.response })),
          60,
        ),
      );

      const flagged = ok.filter((o) => o.response.risk_flag);
      collector = await collectFlags(topic);
      const c = collector;
      const expected = new Set(flagged.map((o) => flagIdFor(o.tx.transaction_id)));
      // The app is closed: flags it could not relay before closing are still in an outbox.
      await waitFor(() => c.ids().size >= expected.size, 5_000, 'every flag consumed').catch(
        () => undefined,
      );
      if (c.ids().size < expected.size) {
        // Restart it once to relay what is left (the outboxes are durable).
        const again = await buildApp(loadConfig(serverModeEnv(db.url, topic, dataDir)));
        await waitFor(() => c.ids().size >= expected.size, 120_000, 'every flag consumed');
        await again.close();
      }
      assert.deepEqual([...c.ids()].sort(), [...expected].sort());
      t.diagnostic(`${flagged.length} flags, ${c.received.length} messages`);
    } finally {
      stopLoad = true;
      if (pgStopped) serviceCtl('start', 'postgres');
      await collector?.stop().catch(() => undefined);
      await app.close();
      await deleteTopic(topic);
      await db.drop().catch(() => undefined);
    }
  },
);
