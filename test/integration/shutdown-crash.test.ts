// The real process, under load: SIGTERM with work in flight loses nothing (windows written and
// flags relayed before exit), and SIGKILL loses no flag that the outbox had accepted (every
// flagged answer's flag reaches Kafka after a restart).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flagIdFor } from '../../src/domain/flag.ts';
import { waitFor } from '../helpers/fakes.ts';
import {
  KAFKA_BROKERS,
  collectFlags,
  createTopic,
  deleteTopic,
  uniqueTopic,
} from '../helpers/kafka.ts';
import { startLoad } from '../helpers/load.ts';
import { createThrowawayDb } from '../helpers/pg.ts';
import { holdRequest, postScoreTo, startService } from '../helpers/running-service.ts';
import { expectedWindows, storedWindows, trafficTx } from '../helpers/windows.ts';

const root = mkdtempSync(join(tmpdir(), 'risk-shutdown-'));
after(() => rmSync(root, { recursive: true, force: true }));

test(
  'SIGTERM with requests in flight: windows and flags of every answer, none lost',
  { timeout: 90_000 },
  async (t) => {
    const db = await createThrowawayDb('sigterm');
    const topic = uniqueTopic('flags-sigterm');
    await createTopic(topic);
    let collector;
    const svc = await startService({
      DATABASE_URL: db.url,
      DATA_DIR: join(root, 'term'),
      KAFKA_BROKERS,
      KAFKA_FLAGS_TOPIC: topic,
      KAFKA_CREATE_TOPIC: 'false',
      // Windows are written only at shutdown: what this test sees was flushed by the SIGTERM.
      WINDOW_FLUSH_INTERVAL_MS: '60000',
    });
    try {
      const base = Date.parse('2024-04-03T09:00:00Z');
      const load = startLoad({
        concurrency: 16,
        next: (i) => trafficTx('term', i, base),
        // Keep sending after the signal, until the process is gone: calls refused while it
        // closes must not count.
        stop: () => svc.child.exitCode !== null,
        send: (tx) => postScoreTo(svc.url, tx),
      });
      // Under load, with flagged answers among them (so that the flag checks below check
      // something), and one request known to be in flight: the server has read its headers.
      await waitFor(
        () => load.live.ok.length >= 50 && load.live.ok.some((o) => o.response.risk_flag),
        60_000,
        'the load is answered, flagged answers included',
      );
      // Sanctioned country: declined, so it has a flag as well as windows.
      const heldTx = { ...trafficTx('term-held', 0, base), location: 'KP' };
      const held = holdRequest(svc.url, heldTx);
      await held.read;
      svc.child.kill('SIGTERM');
      await svc.waitForOutput(/shutting down: finishing in-flight requests/, 60_000);
      const heldAnswer = await held.finish();
      const code = await svc.exited;
      const { ok, failed } = await load.done;
      assert.equal(code, 0, svc.output());
      assert.match(svc.output(), /shut down cleanly/);
      t.diagnostic(`${ok.length} answered, ${failed.length} refused or cut off after the signal`);
      assert.equal(heldAnswer.status, 200, 'the request in flight at the signal was answered');
      const heldResponse = heldAnswer.body as (typeof ok)[number]['response'];
      assert.equal(heldResponse.risk_flag, true);
      ok.push({ tx: heldTx, response: heldResponse, ms: 0 });
      // Every answer has its own transaction: none is counted twice below.
      assert.equal(new Set(ok.map((o) => o.tx.transaction_id)).size, ok.length);

      // Windows: exactly the answered transactions (a refused call was never scored).
      assert.deepEqual(await storedWindows(db), expectedWindows(ok, 60));
      // Flags: relayed before exit, so the outbox is empty and the topic has them all.
      assert.deepEqual(await db.query('SELECT flag_id FROM risk_flag_outbox'), []);
      const expected = new Set(
        ok.filter((o) => o.response.risk_flag).map((o) => flagIdFor(o.tx.transaction_id)),
      );
      collector = await collectFlags(topic);
      const c = collector;
      await waitFor(() => c.ids().size >= expected.size, 120_000, 'every flag consumed');
      assert.deepEqual([...c.ids()].sort(), [...expected].sort());
    } finally {
      if (svc.child.exitCode === null) svc.child.kill('SIGKILL');
      await collector?.stop().catch(() => undefined);
      await deleteTopic(topic);
      await db.drop();
    }
  },
);

test(
  'SIGKILL with flags in the file outbox and requests in flight: every accepted flag arrives after a restart',
  { timeout: 90_000 },
  async (t) => {
    const topic = uniqueTopic('flags-sigkill');
    await createTopic(topic);
    const dataDir = join(root, 'kill');
    // Embedded mode with a broker that cannot be reached: flags pile up in the file outbox.
    const env = {
      EMBEDDED_STORE: 'memory',
      DATA_DIR: dataDir,
      KAFKA_FLAGS_TOPIC: topic,
      KAFKA_CREATE_TOPIC: 'false',
    };
    const first = await startService({ ...env, KAFKA_BROKERS: '127.0.0.1:1' });
    let second;
    let collector;
    try {
      let killed = false;
      const base = Date.parse('2024-04-04T09:00:00Z');
      const load = startLoad({
        concurrency: 16,
        next: (i) => trafficTx('kill', i, base),
        stop: () => killed,
        send: (tx) => postScoreTo(first.url, tx),
      });
      const outboxSegments = () =>
        readdirSync(join(dataDir, 'flag-outbox')).filter((n) => n.startsWith('seg-'));
      // Flags accepted into the file outbox, and one request known to be in flight (its
      // headers read by the server, its body not yet sent) when the process is killed.
      await waitFor(
        () =>
          load.live.ok.filter((o) => o.response.risk_flag).length >= 50 &&
          outboxSegments().length > 0,
        60_000,
        'flagged answers accepted into the file outbox',
      );
      const held = holdRequest(first.url, trafficTx('kill-held', 0, base));
      await held.read;
      first.child.kill('SIGKILL');
      killed = true;
      assert.equal(await first.exited, null, 'killed, not exited');
      const { ok, failed } = await load.done;
      assert.doesNotMatch(await held.closed, /HTTP\/1\.1 200/, 'the held request was cut off');
      const flagged = ok.filter((o) => o.response.risk_flag);
      t.diagnostic(
        `${ok.length} answered (${flagged.length} flagged), ${failed.length} cut off by the kill`,
      );
      assert.ok(flagged.length >= 50);
      assert.ok(outboxSegments().length > 0);

      second = await startService({ ...env, KAFKA_BROKERS });
      collector = await collectFlags(topic);
      const c = collector;
      const accepted = new Set(flagged.map((o) => flagIdFor(o.tx.transaction_id)));
      await waitFor(
        () => [...accepted].every((id) => c.ids().has(id)),
        120_000,
        'every accepted flag consumed',
      );
      // Calls cut off by the kill may have stored their flag before dying: those may arrive too,
      // but nothing else.
      const cutOff = new Set(failed.map((f) => flagIdFor(f.tx.transaction_id)));
      for (const id of c.ids())
        assert.ok(accepted.has(id) || cutOff.has(id), `unexpected flag ${id}`);
      t.diagnostic(`${c.ids().size} flags consumed (${c.received.length} messages)`);
    } finally {
      if (first.child.exitCode === null && first.child.signalCode === null)
        first.child.kill('SIGKILL');
      if (second !== undefined) {
        second.child.kill('SIGTERM');
        await second.exited;
      }
      await collector?.stop().catch(() => undefined);
      await deleteTopic(topic);
    }
  },
);
