import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);
const optionalUrl = (protocols: string[]) =>
  z
    .string()
    .trim()
    .min(1)
    .refine(
      (v) => {
        try {
          return protocols.includes(new URL(v).protocol);
        } catch {
          return false;
        }
      },
      `must be a URL starting with ${protocols.join(' or ')}//`,
    )
    .optional();

/** `host:port`, the host a name, an IPv4 address or a bracketed IPv6 address. */
const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$/;

export interface ClusterNode {
  host: string;
  port: number;
}

/** `host:port[,host:port...]`: the cluster nodes to start from (any of them will do). */
const clusterNodes = z
  .string()
  .trim()
  .transform((v, ctx): ClusterNode[] => {
    const nodes: ClusterNode[] = [];
    for (const item of v.split(',')) {
      const m = HOST_PORT.exec(item.trim());
      const port = Number(m?.[2]);
      if (m === null || port < 1 || port > 65535) {
        ctx.addIssue({
          code: 'custom',
          message: `must be host:port[,host:port...] (e.g. 10.0.0.1:6379,10.0.0.2:6379); got "${item.trim()}"`,
        });
        return z.NEVER;
      }
      nodes.push({ host: m[1]!.replace(/^\[|\]$/g, ''), port });
    }
    return nodes;
  })
  .optional();

const schema = z
  .object({
    HOST: z.string().min(1).default('127.0.0.1'),
    HTTP_PORT: port.default(8080),
    GRPC_PORT: port.default(50051),
    /** The whole request, headers and body, must arrive within this; 408 otherwise. */
    HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
    HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(72_000),
    /** Open HTTP connections at most; more are closed at once until others end. */
    HTTP_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
    REDIS_URL: optionalUrl(['redis:', 'rediss:']),
    /**
     * Velocity and idempotency on a Redis Cluster instead of one primary: some of its nodes
     * (the client discovers the rest). Takes precedence over REDIS_URL.
     */
    REDIS_CLUSTER_NODES: clusterNodes,
    /** The cluster nodes' password (AUTH), when they require one. */
    REDIS_CLUSTER_PASSWORD: z.string().min(1).optional(),
    /** No braces: a hash tag in the prefix would put every key in one cluster slot. */
    REDIS_KEY_PREFIX: z
      .string()
      .regex(/^[^{}]*$/, 'must not contain { or } (a hash tag would put every key in one slot)')
      .default('risk:'),
    REDIS_TIMEOUT_MS: z.coerce.number().int().min(1).default(250),
    /**
     * What a Redis outage does to readiness. `degraded` (default): /readyz stays 200 with
     * `status: "degraded"` and redis listed as failing, because every call is still answered
     * (degraded: no velocity features, no idempotency), and an outage of the Redis every
     * replica shares would otherwise take them all out of rotation at once. `unready`: 503,
     * for deployments that would rather fail over to another region than answer degraded.
     */
    READINESS_ON_REDIS_FAILURE: z.enum(['degraded', 'unready']).default('degraded'),
    DATABASE_URL: optionalUrl(['postgres:', 'postgresql:']),
    KAFKA_BROKERS: z
      .string()
      .trim()
      .regex(/^[^\s,]+:\d+(,[^\s,]+:\d+)*$/, 'must be host:port[,host:port...]')
      .optional(),
    KAFKA_FLAGS_TOPIC: z.string().min(1).default('risk.flags'),
    /** Where resolved review cases are announced (DESIGN.md §4.9), key account_id. */
    KAFKA_CASE_EVENTS_TOPIC: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,249}$/, 'must be a Kafka topic name: 1-249 of A-Z a-z 0-9 . _ -')
      .default('risk.case-events'),
    ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    /** A session unused this long ends (sign in again). */
    SESSION_IDLE_MINUTES: z.coerce
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 60)
      .default(30),
    /** A session ends this long after sign-in, however busy. */
    SESSION_MAX_HOURS: z.coerce
      .number()
      .int()
      .min(1)
      .max(24 * 30)
      .default(12),
    /** `true` adds Secure to the session cookie: set it wherever clients reach us over TLS. */
    SESSION_COOKIE_SECURE: z
      .enum(['true', 'false'])
      .default('false')
      .transform((v) => v === 'true'),
    /** Failed sign-ins per user name (or API token) before each further one doubles a delay. */
    LOGIN_FAILURES_BEFORE_DELAY: z.coerce.number().int().min(1).max(100).default(5),
    /** The longest delay the doubling reaches. */
    LOGIN_MAX_DELAY_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
    /**
     * Behind a proxy or ingress: the header whose last entry is the client's address for the
     * per-address count of failed sign-ins (`x-forwarded-for`). Unset: the connection's peer.
     * Only for a proxy that appends to it, or clients could name any address.
     */
    LOGIN_CLIENT_ADDRESS_HEADER: z
      .string()
      .regex(/^[A-Za-z0-9-]+$/, 'must be an HTTP header name')
      .optional(),
    /**
     * `GET /v1/windows`: `required` (default) takes the same bearer credential as the rules
     * administration API (amounts per country and category are business data); `none` leaves
     * it open, for a network where only trusted dashboards reach the port.
     */
    WINDOWS_AUTH: z.enum(['required', 'none']).default('required'),
    /** The decisions that open a review case, comma-separated: `review` (default), `decline`. */
    CASES_OPEN_FOR: z
      .string()
      .trim()
      .regex(/^(review|decline)(,(review|decline))*$/, 'must be review, decline or review,decline')
      .default('review'),
    /**
     * Four-eyes publishing. `required`: `PUT /v1/rules` stores a proposal that another
     * publisher approves (or rejects); `off` (default): a publisher's PUT publishes.
     */
    RULES_APPROVAL: z.enum(['required', 'off']).default('off'),
    RISK_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
    /** Unset: the package's own rules/ directory. */
    RULES_DIR: z.string().min(1).optional(),
    RULES_ENGINE: z.enum(['compiled', 'json-rules-engine']).default('compiled'),
    /** Anomaly model artifact. Unset: the model shipped in models/; `none`: no model. */
    MODEL_PATH: z.string().min(1).optional(),
    /** Gradient-boosted fraud model artifact (risk-gbdt/1). Unset: none, `fraud_probability` null. */
    FRAUD_MODEL_PATH: z.string().min(1).optional(),
    DECISION_REVIEW_THRESHOLD: z.coerce.number().min(0).max(100).default(50),
    DECISION_DECLINE_THRESHOLD: z.coerce.number().min(0).max(100).default(80),
    VELOCITY_ALLOWED_LATENESS_SECONDS: z.coerce.number().int().min(0).default(3600),
    /** Raw events kept per entity key; a busy key's older events are folded into tiles. */
    VELOCITY_MAX_EVENTS_PER_KEY: z.coerce.number().int().min(1).default(10_000),
    /** A busy key's tile width: the resolution of its windows' start for folded events. */
    VELOCITY_TILE_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
    SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
    /**
     * Without DATABASE_URL: `sqlite` keeps rules, windows and (with KAFKA_BROKERS) the flag
     * outbox in the SQLite file DATA_DIR/risk.sqlite; `memory` keeps rules and windows in
     * memory only (lost at exit).
     */
    EMBEDDED_STORE: z.enum(['sqlite', 'memory']).default('sqlite'),
    /** Embedded mode's data: the SQLite database and the local flag files. */
    DATA_DIR: z.string().min(1).default('.risk-data'),
    /** The safety net behind LISTEN/NOTIFY: how often each replica checks the active version. */
    RULES_POLL_INTERVAL_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
    /** OTLP/HTTP collector for traces, e.g. http://127.0.0.1:4318; unset: no tracing. */
    OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl(['http:', 'https:']),
    OTEL_SERVICE_NAME: z.string().min(1).default('risk-scoring'),
    OTEL_TRACES_SAMPLER: z
      .enum([
        'always_on',
        'always_off',
        'traceidratio',
        'parentbased_always_on',
        'parentbased_always_off',
        'parentbased_traceidratio',
      ])
      .default('parentbased_traceidratio'),
    /** The sampled share of traces that start here (the default is set from the bench). */
    OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).default(0.1),
    /** Scored transactions kept (with their features) for backtests; 0 keeps none. */
    /** Backtests run at once, each on a worker thread (never on the scoring event loop). */
    BACKTEST_THREADS: z.coerce.number().int().min(1).max(16).default(1),
    /** Backtests waiting for a thread; beyond that a backtest is refused with a 503. */
    BACKTEST_QUEUE: z.coerce.number().int().min(0).max(100).default(4),
    BACKTEST_RECENT_TRANSACTIONS: z.coerce.number().int().min(0).max(1_000_000).default(10_000),
    /**
     * Create KAFKA_FLAGS_TOPIC and KAFKA_CASE_EVENTS_TOPIC at start if missing (turn off where
     * topics are provisioned).
     */
    KAFKA_CREATE_TOPIC: z
      .enum(['true', 'false'])
      .default('true')
      .transform((v) => v === 'true'),
    /** How long the flag relay waits for more flags before sending a batch. */
    FLAG_LINGER_MS: z.coerce.number().int().min(0).max(1000).default(5),
    FLAG_BATCH_MAX: z.coerce.number().int().min(1).max(10_000).default(500),
    /**
     * With KAFKA_BROKERS: how long a flag may wait for the database outbox (PostgreSQL) before
     * the file outbox takes it. SQLite answers synchronously, so there it is its errors (a full
     * disk, a lock held past the busy timeout) that hand flags to the file outbox.
     */
    FLAG_OUTBOX_TIMEOUT_MS: z.coerce.number().int().min(1).default(250),
    WINDOW_FLUSH_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(1000),
    /** Bound on window keys held in memory while writes fail (see README, Windows). */
    WINDOW_BUFFER_MAX_KEYS: z.coerce.number().int().min(100).default(100_000),
    /** Names this replica in window flush ids and the Kafka client id (default: host name). */
    REPLICA_ID: z.string().min(1).max(64).optional(),
  })
  .refine((c) => c.SESSION_IDLE_MINUTES <= c.SESSION_MAX_HOURS * 60, {
    path: ['SESSION_IDLE_MINUTES'],
    message: 'must not exceed SESSION_MAX_HOURS',
  })
  .refine((c) => c.DECISION_REVIEW_THRESHOLD <= c.DECISION_DECLINE_THRESHOLD, {
    path: ['DECISION_REVIEW_THRESHOLD'],
    message: 'must not exceed DECISION_DECLINE_THRESHOLD',
  })
  // Consumers tell the two apart by topic: one topic for both would mix their schemas.
  .refine((c) => c.KAFKA_CASE_EVENTS_TOPIC !== c.KAFKA_FLAGS_TOPIC, {
    path: ['KAFKA_CASE_EVENTS_TOPIC'],
    message: 'must differ from KAFKA_FLAGS_TOPIC',
  });

export type Config = Readonly<z.infer<typeof schema>>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * Reads the environment once, validates it and freezes the result. Empty variables count as
 * unset. A bad value fails with a message naming the variable.
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Config {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v !== ''),
  );
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.') || 'config'}: ${i.message}`);
    throw new ConfigError(`invalid configuration: ${lines.join('; ')}`);
  }
  return Object.freeze(parsed.data);
}
