/**
 * `npm run bench:kafka`: the Kafka clients measured behind the flag publisher's job, on the
 * broker at $KAFKA_BROKERS (default 127.0.0.1:9092): kafkajs 2.2.4 (the former client),
 * @platformatic/kafka (the one the service uses) and, where it could be installed,
 * @confluentinc/kafka-javascript (librdkafka; not a dependency: its install downloads a prebuilt
 * binary from GitHub, or compiles librdkafka, which these machines cannot always do).
 *
 * Each client runs alone in its own process, as the service would: one idempotent producer,
 * acks = all, connected and warmed by one send, then
 *   - idle: CPU used and context switches (how often the process is woken) over IDLE seconds;
 *   - throughput: 20,000 flag-sized messages (about 450 bytes) in batches of 100, one batch
 *     in flight at a time (the outbox relay's way of sending);
 *   - acknowledgement latency: 500 single-message sends, one after the other.
 * Writes load-test/reports/<stamp>-kafka-clients.{md,json}.
 *
 * Usage: npm run bench:kafka -- [--idle-seconds 10] [--messages 20000]
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { machineInfo, writeReport } from './report.ts';
import type { BenchReport } from './report.ts';

const CLIENTS = ['kafkajs', '@platformatic/kafka', '@confluentinc/kafka-javascript'] as const;
type ClientName = (typeof CLIENTS)[number];

interface ProbeResult {
  client: ClientName;
  version: string;
  idle_cpu_pct: number;
  idle_wakeups_per_s: number;
  produce_msgs_per_s: number;
  ack_p50_ms: number;
  ack_p99_ms: number;
  rss_mb: number;
}

interface Sender {
  send(messages: Array<{ key: string; value: string }>): Promise<void>;
  close(): Promise<void>;
}

const PAYLOAD = JSON.stringify({
  schema: 'risk.flag.v1',
  flag_id: '00000000-0000-4000-8000-000000000000',
  transaction_id: 'tx-bench',
  account_id: 'acct-bench',
  decision: 'review',
  risk_score: 55,
  reasons: [{ rule: 'card-testing', score: 40, description: 'many small charges on one card' }],
  pad: 'x'.repeat(200),
});

/** Voluntary plus involuntary context switches of this process so far (Linux). */
function contextSwitches(): number {
  const status = readFileSync('/proc/self/status', 'utf8');
  let n = 0;
  for (const m of status.matchAll(/^(?:non)?voluntary_ctxt_switches:\s+(\d+)$/gm))
    n += Number(m[1]);
  return n;
}

function installedVersion(name: string): string {
  // Not through the resolver: some packages export no ./package.json.
  const url = new URL(`../../node_modules/${name}/package.json`, import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
}

async function openSender(client: ClientName, brokers: string[], topic: string): Promise<Sender> {
  if (client === 'kafkajs') {
    const { Kafka, logLevel } = await import('kafkajs');
    const kafka = new Kafka({ clientId: 'bench-kafka', brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic }], waitForLeaders: true });
    await admin.disconnect();
    const p = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await p.connect();
    return {
      send: async (messages) => {
        await p.send({ topic, acks: -1, messages });
      },
      close: () => p.disconnect(),
    };
  }
  if (client === '@platformatic/kafka') {
    const { Admin, Producer, stringSerializers } = await import('@platformatic/kafka');
    const base = { clientId: 'bench-kafka', bootstrapBrokers: brokers };
    const admin = new Admin(base);
    await admin.createTopics({ topics: [topic] });
    await admin.close();
    const p = new Producer({
      ...base,
      serializers: stringSerializers,
      idempotent: true,
      acks: -1,
    });
    return {
      send: async (messages) => {
        await p.send({ messages: messages.map((m) => ({ topic, ...m })) });
      },
      close: () => p.close(),
    };
  }
  // Not a dependency: the type is what this file needs of it.
  interface ConfluentProducer {
    connect(): Promise<void>;
    send(r: { topic: string; messages: Array<{ key: string; value: string }> }): Promise<unknown>;
    disconnect(): Promise<void>;
  }
  interface ConfluentKafka {
    producer(c: Record<string, unknown>): ConfluentProducer;
    admin(): {
      connect(): Promise<void>;
      createTopics(o: { topics: Array<{ topic: string }> }): Promise<unknown>;
      disconnect(): Promise<void>;
    };
  }
  const mod = (await import(client)) as {
    KafkaJS: { Kafka: new (c: Record<string, unknown>) => ConfluentKafka };
  };
  const kafka = new mod.KafkaJS.Kafka({ kafkaJS: { brokers, clientId: 'bench-kafka' } });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic }] });
  await admin.disconnect();
  const p = kafka.producer({ kafkaJS: { idempotent: true, acks: -1 }, 'linger.ms': 0 });
  await p.connect();
  return {
    send: async (messages) => {
      await p.send({ topic, messages });
    },
    close: () => p.disconnect(),
  };
}

/** The child's side: measures one client and prints one JSON line. */
async function probe(client: ClientName, idleSeconds: number, messages: number): Promise<void> {
  const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
  const topic = `bench-kafka-${client.replace(/\W/g, '')}-${Date.now()}`;
  const sender = await openSender(client, brokers, topic);
  await sender.send([{ key: 'warm', value: PAYLOAD }]);
  await new Promise((r) => setTimeout(r, 1_000));

  const cpu0 = process.cpuUsage();
  const switches0 = contextSwitches();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, idleSeconds * 1_000));
  const idleS = (performance.now() - t0) / 1_000;
  const cpu = process.cpuUsage(cpu0);
  // One wake-up is this probe's own timer: not the client's.
  const wakeups = contextSwitches() - switches0 - 1;

  const batch = 100;
  const t1 = performance.now();
  for (let i = 0; i < messages; i += batch) {
    await sender.send(
      Array.from({ length: Math.min(batch, messages - i) }, (_, j) => ({
        key: `acct-${(i + j) % 97}`,
        value: PAYLOAD,
      })),
    );
  }
  const throughput = messages / ((performance.now() - t1) / 1_000);

  const lat: number[] = [];
  for (let i = 0; i < 500; i++) {
    const s = performance.now();
    await sender.send([{ key: `acct-${i}`, value: PAYLOAD }]);
    lat.push(performance.now() - s);
  }
  lat.sort((a, b) => a - b);
  const q = (p: number): number => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? 0;
  await sender.close();
  const result: ProbeResult = {
    client,
    version: installedVersion(client),
    idle_cpu_pct: ((cpu.user + cpu.system) / 1e4 / idleS) * 1,
    idle_wakeups_per_s: Math.max(0, wakeups) / idleS,
    produce_msgs_per_s: Math.round(throughput),
    ack_p50_ms: q(0.5),
    ack_p99_ms: q(0.99),
    rss_mb: Math.round(process.memoryUsage().rss / 2 ** 20),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

function runChild(
  client: ClientName,
  idleSeconds: number,
  messages: number,
): Promise<ProbeResult | string> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        '--disable-warning=ExperimentalWarning',
        new URL(import.meta.url).pathname,
        '--probe',
        client,
        '--idle-seconds',
        String(idleSeconds),
        '--messages',
        String(messages),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: process.env },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    // Bounded: a client that hangs is reported, not waited for.
    const timer = setTimeout(() => child.kill('SIGKILL'), (idleSeconds + 120) * 1_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop() ?? '';
      if (code === 0 && line.startsWith('{')) resolve(JSON.parse(line) as ProbeResult);
      else {
        const lines = err.trim().split('\n');
        const why = lines.find((l) => /Cannot find (package|module)/.test(l)) ?? lines.pop();
        resolve((why ?? `exit ${code}`).slice(0, 240));
      }
    });
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      probe: { type: 'string' },
      'idle-seconds': { type: 'string', default: '10' },
      messages: { type: 'string', default: '20000' },
    },
    strict: true,
  });
  const idleSeconds = Number(values['idle-seconds']);
  const messages = Number(values.messages);
  if (!(idleSeconds > 0) || !(messages > 0))
    throw new Error('--idle-seconds and --messages: positive numbers');
  if (values.probe !== undefined) {
    if (!(CLIENTS as readonly string[]).includes(values.probe))
      throw new Error(`unknown client ${values.probe}`);
    return probe(values.probe as ClientName, idleSeconds, messages);
  }
  const report: BenchReport = {
    startedAt: new Date().toISOString(),
    machine: machineInfo(),
    sections: [],
  };
  const rows: Array<Array<string | number>> = [];
  const notes: string[] = [];
  let baseline: ProbeResult | undefined;
  for (const client of CLIENTS) {
    process.stderr.write(
      `[bench:kafka] ${client}: ${idleSeconds} s idle, ${messages} messages, 500 single sends\n`,
    );
    const r = await runChild(client, idleSeconds, messages);
    if (typeof r === 'string') {
      notes.push(`${client} was not measured: ${r}`);
      continue;
    }
    baseline ??= r;
    rows.push([
      `${r.client} ${r.version}`,
      Number(r.idle_cpu_pct.toFixed(2)),
      Number(r.idle_wakeups_per_s.toFixed(1)),
      r.produce_msgs_per_s,
      Number((r.produce_msgs_per_s / baseline.produce_msgs_per_s).toFixed(2)),
      Number(r.ack_p50_ms.toFixed(2)),
      Number(r.ack_p99_ms.toFixed(2)),
      r.rss_mb,
    ]);
  }
  report.sections.push({
    title: 'Kafka clients behind the flag publisher',
    method:
      `One idempotent producer per client, acks = all, each in its own process, on ${process.env.KAFKA_BROKERS ?? '127.0.0.1:9092'}: ` +
      `CPU and context switches over ${idleSeconds} s connected and idle; ${messages} messages of about 450 bytes in batches of 100, ` +
      'one batch in flight; 500 single-message sends one after the other (acknowledgement latency). Ratios against kafkajs in this run.',
    columns: [
      'client',
      'idle CPU %',
      'idle wake-ups/s',
      'produce msg/s',
      'ratio',
      'ack p50 ms',
      'ack p99 ms',
      'RSS MiB',
    ],
    rows,
    notes,
  });
  const path = writeReport(report, 'load-test/reports', 'kafka-clients');
  process.stderr.write(`[bench:kafka] report: ${path}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`[bench:kafka] ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
