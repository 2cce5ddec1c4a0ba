// `npm run alerts` against the real broker: it prints each flag once although the topic holds
// repeated deliveries, skips what is not a flag, and leaves cleanly on SIGINT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import type { RiskFlag } from '../../src/domain/flag.ts';
import { makeFlag, waitFor } from '../helpers/fakes.ts';
import { KAFKA_BROKERS, createTopic, deleteTopic, uniqueTopic } from '../helpers/kafka.ts';

const CLI = new URL('../../src/cli/alerts.ts', import.meta.url).pathname;

test(
  'alerts CLI: each flag printed once as NDJSON, then a clean exit on SIGINT',
  { timeout: 60_000 },
  async () => {
    const topic = uniqueTopic('flags-cli');
    await createTopic(topic, 2);
    const producer = new Kafka({
      clientId: 'cli-test',
      brokers: KAFKA_BROKERS.split(','),
      logLevel: logLevel.NOTHING,
    }).producer({
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    const flags = Array.from({ length: 20 }, () => makeFlag());
    const child = spawn(
      process.execPath,
      [
        CLI,
        '--brokers',
        KAFKA_BROKERS,
        '--topic',
        topic,
        '--group',
        `cli-${randomUUID().slice(0, 8)}`,
        '--from-beginning',
        '--json',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    try {
      await producer.connect();
      // Every flag twice (as a relay retrying after a lost acknowledgement would), plus junk.
      const messages = [...flags, ...flags.slice(0, 10), ...flags.slice(10)].map((f) => ({
        key: f.account_id,
        value: JSON.stringify(f),
      }));
      await producer.send({ topic, acks: -1, messages });
      // Then junk at the end of each partition: once the CLI has skipped both, it has handled
      // every message before them (a partition is read in order), repeats included.
      await producer.send({
        topic,
        acks: -1,
        messages: [0, 1].map((partition) => ({ partition, key: 'x', value: 'not json' })),
      });
      const lines = () => out.split('\n').filter((l) => l.length > 0);
      await waitFor(
        () => [0, 1].every((p) => new RegExp(`skipping offset \\d+ of partition ${p}:`).test(err)),
        60_000,
        'every message handled (the junk at the end of both partitions skipped)',
      );
      const printed = lines().map((l) => JSON.parse(l) as RiskFlag);
      assert.equal(printed.length, 20);
      assert.deepEqual(
        new Set(printed.map((f) => f.flag_id)),
        new Set(flags.map((f) => f.flag_id)),
      );
      child.kill('SIGINT');
      const [code] = (await once(child, 'exit')) as [number | null];
      assert.equal(code, 0, err);
      assert.match(err, /20 flags, 20 repeats dropped/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await producer.disconnect().catch(() => undefined);
      await deleteTopic(topic);
    }
  },
);
