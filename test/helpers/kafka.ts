import { randomUUID } from 'node:crypto';
import type { Consumer } from 'kafkajs';
import { Kafka, logLevel } from 'kafkajs';
import type { RiskFlag } from '../../src/domain/flag.ts';

export const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';

function client(id: string): Kafka {
  return new Kafka({
    clientId: id,
    brokers: KAFKA_BROKERS.split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3_000,
    retry: { retries: 5, initialRetryTime: 300 },
  });
}

/** A topic name no other test uses. */
export const uniqueTopic = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

export async function createTopic(topic: string, partitions = 1): Promise<void> {
  const admin = client(`admin-${topic}`).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
      waitForLeaders: true,
      timeout: 10_000,
    });
  } finally {
    await admin.disconnect();
  }
}

export async function deleteTopic(topic: string): Promise<void> {
  const admin = client(`admin-${topic}`).admin();
  try {
    await admin.connect();
    await admin.deleteTopics({ topics: [topic], timeout: 10_000 });
  } catch {
    // Best effort: a leftover topic in the dev broker harms nobody.
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export interface ReceivedFlag {
  flag: RiskFlag;
  key: string | undefined;
  /** Wall-clock time of receipt (epoch ms). */
  at: number;
}

/** Every message of a topic from the beginning, duplicates included, in arrival order. */
export interface FlagCollector {
  received: ReceivedFlag[];
  /** Distinct flag ids received. */
  ids(): Set<string>;
  /**
   * True once every message now on the topic has been received (each partition read up to its
   * end offset): with nothing more being published, what was received is all there is.
   */
  caughtUp(): Promise<boolean>;
  stop(): Promise<void>;
}

export async function collectFlags(topic: string): Promise<FlagCollector> {
  const c = await collectMessages<RiskFlag>(topic);
  const received: ReceivedFlag[] = [];
  const add = (m: ReceivedMessage<RiskFlag>) =>
    received.push({ flag: m.value, key: m.key, at: m.at });
  // The same array object stays the one tests read: it is filled as messages arrive.
  for (const m of c.received) add(m);
  c.onMessage(add);
  return {
    received,
    ids: () => new Set(received.map((r) => r.flag.flag_id)),
    caughtUp: () => c.caughtUp(),
    stop: () => c.stop(),
  };
}

export interface ReceivedMessage<T> {
  value: T;
  key: string | undefined;
  headers: Record<string, string>;
  /** Wall-clock time of receipt (epoch ms). */
  at: number;
}

/** Every JSON message of a topic from the beginning, duplicates included, in arrival order. */
export interface MessageCollector<T> {
  received: Array<ReceivedMessage<T>>;
  onMessage(listener: (m: ReceivedMessage<T>) => void): void;
  /** As FlagCollector's. */
  caughtUp(): Promise<boolean>;
  stop(): Promise<void>;
}

export async function collectMessages<T>(topic: string): Promise<MessageCollector<T>> {
  const consumer: Consumer = client(`collector-${topic}`).consumer({
    groupId: `collector-${randomUUID().slice(0, 8)}`,
    allowAutoTopicCreation: false,
    // Short sessions: after the broker restarts, the group comes back quickly.
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
    retry: { retries: 100, initialRetryTime: 300, maxRetryTime: 3_000 },
  });
  const received: Array<ReceivedMessage<T>> = [];
  const listeners: Array<(m: ReceivedMessage<T>) => void> = [];
  const nextOffset = new Map<number, number>();
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: ({ partition, message }) => {
      nextOffset.set(partition, Number(message.offset) + 1);
      const m: ReceivedMessage<T> = {
        value: JSON.parse(message.value?.toString() ?? 'null') as T,
        key: message.key?.toString(),
        headers: Object.fromEntries(
          Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]),
        ),
        at: Date.now(),
      };
      received.push(m);
      for (const l of listeners) l(m);
      return Promise.resolve();
    },
  });
  return {
    received,
    onMessage(listener) {
      listeners.push(listener);
    },
    async caughtUp() {
      const admin = client(`offsets-${topic}`).admin();
      await admin.connect();
      try {
        const ends = await admin.fetchTopicOffsets(topic);
        return ends.every((p) => (nextOffset.get(p.partition) ?? 0) >= Number(p.high));
      } finally {
        await admin.disconnect();
      }
    },
    stop: () => consumer.disconnect(),
  };
}

/**
 * The configuration of a service in server mode on the local services: PostgreSQL (`db`),
 * Kafka (`topic`, created by the test) and a data directory for the local outbox.
 */
export function serverModeEnv(
  dbUrl: string,
  topic: string,
  dataDir: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    LOG_LEVEL: 'error',
    DATABASE_URL: dbUrl,
    DATA_DIR: dataDir,
    KAFKA_BROKERS,
    KAFKA_FLAGS_TOPIC: topic,
    // A topic of its own beside each flags topic, so tests never read each other's events.
    KAFKA_CASE_EVENTS_TOPIC: `${topic}-cases`,
    KAFKA_CREATE_TOPIC: 'false',
    ...extra,
  };
}
