// Fault test on the real broker: Kafka is stopped while transactions are scored, then started.
// Scoring keeps answering (flags wait in the PostgreSQL outbox), and afterwards every flag is on
// the topic: the distinct flag ids are exactly the flagged answers'. Kafka is restarted in a
// `finally` whatever happens: other tests share it.
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
import { trafficTx } from '../helpers/windows.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'risk-fault-kafka-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

test(
  'Kafka stopped while scoring, then started: every flag arrives, once after dedupe on flag_id',
  { timeout: 180_000 },
  async (t) => {
    const db = await createThrowawayDb('fault_kafka');
    const topic = uniqueTopic('flags-fault');
    await createTopic(topic);
    // This test is about Kafka: PostgreSQL must stay the outbox even on a loaded machine (an
    // append slower than the default 250 ms would send flags to the file outbox instead, and
    // the table would not show them waiting).
    const app = await buildApp(
      loadConfig(serverModeEnv(db.url, topic, dataDir, { FLAG_OUTBOX_TIMEOUT_MS: '30000' })),
    );
    const base = Date.parse('2024-04-01T09:00:00Z');
    let phase: 'up' | 'down' | 'back' = 'up';
    let stopLoad = false;
    const phaseOf = new Map<string, string>();
    let collector;
    try {
      const load = startLoad({
        concurrency: 4,
        next: (i) => {
          const tx = trafficTx('fk', i, base);
          phaseOf.set(tx.transaction_id, phase);
          return tx;
        },
        stop: () => stopLoad,
        send: async (tx) => {
          // A steady trickle rather than flat out: this test is about the outage, not speed.
          await new Promise((r) => setTimeout(r, 10));
          return postScore(app, tx);
        },
      });
      // Each phase lasts until the load has been answered enough in it (flagged answers
      // included), however slow the machine: counts are reached, not hoped for in a time.
      const answeredIn = (p: string, flaggedToo: number) => () => {
        const inPhase = load.live.ok.filter((o) => phaseOf.get(o.tx.transaction_id) === p);
        return (
          inPhase.length >= 20 && inPhase.filter((o) => o.response.risk_flag).length >= flaggedToo
        );
      };
      await waitFor(answeredIn('up', 1), 60_000, 'scored with Kafka up');
      const stopMs = serviceCtl('stop', 'kafka');
      phase = 'down';
      await waitFor(answeredIn('down', 5), 60_000, 'scored while Kafka is down');
      // The broker is down since before these transactions existed: their flags cannot have
      // been acknowledged, so they wait in the outbox.
      const depthDown = await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM risk_flag_outbox',
      );
      const startMs = serviceCtl('start', 'kafka');
      phase = 'back';
      await waitFor(answeredIn('back', 1), 60_000, 'scored after Kafka came back');
      stopLoad = true;
      const { ok, failed } = await load.done;

      assert.deepEqual(failed, [], 'every call answered');
      const during = ok.filter((o) => phaseOf.get(o.tx.transaction_id) === 'down');
      const flagged = ok.filter((o) => o.response.risk_flag);
      assert.ok((depthDown[0]?.n ?? 0) > 0, 'flags waited in the outbox');
      t.diagnostic(
        `kafka stop ${stopMs} ms, start ${startMs} ms; ${ok.length} scored, ${flagged.length} ` +
          `flagged, ${during.length} while down (p99 ${percentile(
            during.map((o) => o.ms),
            99,
          ).toFixed(1)} ms); outbox depth while down ${depthDown[0]?.n}`,
      );

      collector = await collectFlags(topic);
      const c = collector;
      const expected = new Set(flagged.map((o) => flagIdFor(o.tx.transaction_id)));
      await waitFor(() => c.ids().size >= expected.size, 120_000, 'every flag consumed');
      // Anything extra would be on the topic by the time the outbox is empty (nothing is left
      // to publish): read the topic to its end before comparing.
      await waitFor(
        async () =>
          (await db.query('SELECT 1 FROM risk_flag_outbox')).length === 0 && (await c.caughtUp()),
        60_000,
        'outbox empty and the topic read to its end',
      );
      assert.deepEqual([...c.ids()].sort(), [...expected].sort());
      assert.equal(c.ids().size, flagged.length);
      t.diagnostic(`${c.received.length} messages for ${c.ids().size} flags`);
    } finally {
      stopLoad = true;
      serviceCtl('start', 'kafka');
      await collector?.stop().catch(() => undefined);
      await app.close();
      await deleteTopic(topic);
      await db.drop();
    }
  },
);
