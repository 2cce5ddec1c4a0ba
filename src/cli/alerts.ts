/**
 * `npm run alerts -- [options]`: follows the risk flags topic in a consumer group, drops
 * repeated deliveries of a flag (same flag_id), and prints each flag as a readable line, or as
 * NDJSON with --json. A small, complete example of an alert consumer to copy:
 *
 *   - join a consumer group, so that several copies share the partitions and a restart resumes
 *     from the group's committed offsets (each message is committed once it is handled);
 *   - deduplicate on flag_id: deliveries are at least once (DESIGN.md §4.7);
 *   - leave the group cleanly on SIGINT/SIGTERM, so that the partitions move at once.
 */
import { parseArgs } from 'node:util';
import { Consumer, stringDeserializers } from '@platformatic/kafka';
import { RecentIds, formatFlag, parseFlag } from './alert-output.ts';

const USAGE = `usage: npm run alerts -- [options]

  --brokers host:port[,host:port]  Kafka brokers (default: $KAFKA_BROKERS or 127.0.0.1:9092)
  --topic name                     flags topic (default: $KAFKA_FLAGS_TOPIC or risk.flags)
  --group id                       consumer group (default: risk-alerts)
  --from-beginning                 a new group starts at the oldest flag, not the next one
  --json                           one flag per line as JSON (NDJSON) instead of text
  --dedupe-window n                flag ids remembered for deduplication (default: 100000)
  --help
`;

function options() {
  const { values } = parseArgs({
    options: {
      brokers: { type: 'string', default: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092' },
      topic: { type: 'string', default: process.env.KAFKA_FLAGS_TOPIC ?? 'risk.flags' },
      group: { type: 'string', default: 'risk-alerts' },
      'from-beginning': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      'dedupe-window': { type: 'string', default: '100000' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const window = Number(values['dedupe-window']);
  if (!Number.isInteger(window) || window < 1)
    throw new Error('--dedupe-window: a positive integer');
  return { ...values, window };
}

async function main(): Promise<void> {
  let opts;
  try {
    opts = options();
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
    process.exit(2);
  }
  if (opts.help) {
    process.stdout.write(USAGE);
    return;
  }
  const log = (msg: string) => process.stderr.write(`[alerts] ${msg}\n`);
  const consumer = new Consumer({
    clientId: 'risk-alerts',
    groupId: opts.group,
    bootstrapBrokers: opts.brokers.split(',').map((b) => b.trim()),
    deserializers: stringDeserializers,
    autocreateTopics: false,
  });
  const seen = new RecentIds(opts.window);
  let printed = 0;
  let repeats = 0;

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    log(`${signal}: leaving group ${opts.group} (${printed} flags, ${repeats} repeats dropped)`);
    consumer.close(true).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // Piped into `head` and the like: the reader left, so leave too.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') stop('output closed');
    else throw err;
  });

  const stream = await consumer.consume({
    topics: [opts.topic],
    mode: 'committed',
    // A group with no committed offset yet starts here.
    fallbackMode: opts['from-beginning'] ? 'earliest' : 'latest',
    autocommit: false,
  });
  log(`following ${opts.topic} on ${opts.brokers} as group ${opts.group}`);
  for await (const message of stream) {
    const flag = parseFlag(message.value);
    if (typeof flag === 'string') {
      log(`skipping offset ${message.offset} of partition ${message.partition}: ${flag}`);
    } else if (!seen.firstTime(flag.flag_id)) {
      repeats += 1;
    } else {
      printed += 1;
      process.stdout.write(`${opts.json ? JSON.stringify(flag) : formatFlag(flag)}\n`);
    }
    await message.commit();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`[alerts] ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
