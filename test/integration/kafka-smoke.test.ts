// Smoke test for the local Kafka broker (scripts/services.sh up): a topic can be created,
// written with acks=-1 and read back by a consumer group, then deleted. It must fail, not
// skip, when no broker answers: its job is to prove the broker works.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import type { KafkaMessage } from 'kafkajs';

const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092')
  .split(',')
  .map((b) => b.trim())
  .filter((b) => b.length > 0);

/** Rejects with a readable message instead of leaving the test to its overall timeout. */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

test(
  'kafka: create a topic, produce with acks=-1, consume it back, delete it',
  { timeout: 60_000 },
  async () => {
    const id = randomUUID().slice(0, 8);
    const topic = `smoke-${id}`;
    const key = `key-${id}`;
    const value = JSON.stringify({ smoke: true, id, at: Date.now() });

    const kafka = new Kafka({
      clientId: `smoke-${id}`,
      brokers: BROKERS,
      logLevel: logLevel.WARN,
      // Few, short retries: an unreachable broker must fail the test quickly.
      connectionTimeout: 3_000,
      retry: { retries: 3, initialRetryTime: 300 },
    });
    const admin = kafka.admin();
    const producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
    });
    const consumer = kafka.consumer({ groupId: `smoke-${id}`, allowAutoTopicCreation: false });
    let topicExists = false;

    try {
      await admin.connect();
      // Explicitly, not by auto-creation: kafkajs races the broker when it auto-creates.
      const created = await admin.createTopics({
        topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
        waitForLeaders: true,
        timeout: 10_000,
      });
      assert.equal(created, true, `topic ${topic} was created`);
      topicExists = true;

      await producer.connect();
      const [sent] = await producer.send({ topic, acks: -1, messages: [{ key, value }] });
      assert.ok(sent, 'the broker acknowledged the batch');
      assert.equal(sent.errorCode, 0);
      assert.equal(sent.partition, 0);

      let onMessage: (m: KafkaMessage) => void = () => undefined;
      const received = new Promise<KafkaMessage>((resolve) => {
        onMessage = resolve;
      });
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        eachMessage: ({ message }) => {
          onMessage(message);
          return Promise.resolve();
        },
      });
      const message = await within(30_000, `consuming from ${topic}`, received);

      assert.equal(message.key?.toString(), key);
      assert.equal(message.value?.toString(), value);
      assert.equal(message.offset, sent.baseOffset);

      // Leave the group before the topic goes away, so the consumer does not log about it.
      await consumer.disconnect();
      await admin.deleteTopics({ topics: [topic], timeout: 10_000 });
      topicExists = false;
    } finally {
      // Best effort only, so a cleanup error never hides the assertion that failed above.
      await Promise.allSettled([consumer.disconnect(), producer.disconnect()]);
      if (topicExists) await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    }
  },
);
