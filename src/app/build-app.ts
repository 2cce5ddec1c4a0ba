import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import type { Logger as PinoLogger } from 'pino';
import { createMemoryDecisionCache } from '../adapters/memory/memory-decision-cache.ts';
import { createMemoryVelocityStore } from '../adapters/memory/memory-velocity-store.ts';
import { createRedisDecisionCache } from '../adapters/redis/redis-decision-cache.ts';
import { createRedisVelocityStore } from '../adapters/redis/redis-velocity-store.ts';
import type { GrpcServer } from '../api/grpc/server.ts';
import { createGrpcServer } from '../api/grpc/server.ts';
import type { ReadinessCheck } from '../api/readiness.ts';
import { buildHttpServer } from '../api/http/server.ts';
import { LONGEST_WINDOW_MS } from '../domain/features.ts';
import type { DecisionCache } from '../pipeline/decision-cache.ts';
import type { Clock } from '../pipeline/clock.ts';
import { systemClock } from '../pipeline/clock.ts';
import type { Scorer } from '../pipeline/score.ts';
import { createScorer } from '../pipeline/score.ts';
import type { VelocityStore } from '../pipeline/velocity-store.ts';
import { RecentScored } from '../pipeline/recent-scored.ts';
import { createRulesAdmin } from '../pipeline/rules-admin.ts';
import type { Config } from './config.ts';
import { createEmitMetrics } from './emit-metrics.ts';
import { setupEmitters } from './emit-setup.ts';
import { createMetrics, instrumentScorer } from './metrics.ts';
import { countDecisionErrors, countVelocityErrors } from './dependency-errors.ts';
import { RULES_DIR_AUTHOR, setupRules } from './rules-setup.ts';
import { createTelemetry } from './telemetry.ts';
import { startTracing } from './tracing.ts';
import { openStores } from './stores.ts';
import { boundDecisions, boundVelocity, openRedis, withinMs } from './redis-client.ts';
import { Counter, Gauge } from 'prom-client';
import { modelPath } from './model-source.ts';
import { createModelMetrics } from './model-metrics.ts';
import { MODEL_ROLES } from './model-roles.ts';
import type { ModelsSetup } from './model-setup.ts';
import { setupModels } from './model-setup.ts';
import { createShadowScorer } from '../pipeline/shadow-models.ts';
import { createBacktestPool } from './backtest-pool.ts';
import { SERVICE_VERSION } from './version.ts';
import { createScryptHasher } from '../adapters/crypto/scrypt-hasher.ts';
import { createAdminAuth } from '../api/http/auth.ts';
import { createAccounts } from '../pipeline/accounts.ts';
import { createSignIn } from '../pipeline/sign-in.ts';
import type { SecretHasher } from '../pipeline/user-store.ts';
import { join } from 'node:path';
import { createDecisionExplainer } from '../pipeline/decision-explain.ts';
import { createDecisionFeed } from '../pipeline/decision-feed.ts';
import { createDecisionStats } from '../pipeline/decision-stats.ts';
import { PACKAGE_ROOT } from './paths.ts';

/** How long the start waits for a Redis Cluster's slot map. */
const CLUSTER_START_WAIT_MS = 5000;

export interface App {
  config: Config;
  logger: PinoLogger;
  http: FastifyInstance;
  grpc: GrpcServer;
  score: Scorer;
  /** Marks the app as shutting down: readiness fails from now on. */
  drain(): void;
  /** Closes the servers (in-flight requests finish first), then every client. */
  close(): Promise<void>;
}

export interface BuildAppOptions {
  logger?: PinoLogger;
  clock?: Clock;
  /** Hashes passwords and tokens; default scrypt with OWASP's parameters. */
  hasher?: SecretHasher;
}

/**
 * The composition root: config → adapters → pipeline → front doors. Nothing listens here;
 * main.ts does, and tests call `app.http.inject()`.
 */
export async function buildApp(config: Config, opts: BuildAppOptions = {}): Promise<App> {
  const logger =
    opts.logger ?? pino({ level: config.LOG_LEVEL, base: { service: 'risk-scoring' } });
  const closers: Array<() => Promise<void>> = [];
  const checks: ReadinessCheck[] = [];
  const limits = {
    retentionMs: LONGEST_WINDOW_MS + config.VELOCITY_ALLOWED_LATENESS_SECONDS * 1000,
    maxEventsPerKey: config.VELOCITY_MAX_EVENTS_PER_KEY,
    tileMs: config.VELOCITY_TILE_SECONDS * 1000,
  };

  // One registry, one count: both front doors get the same instrumented scorer.
  const metrics = createMetrics();
  const tracing = startTracing(config, SERVICE_VERSION);
  if (tracing !== undefined) {
    closers.push(() => tracing.shutdown());
    logger.info(
      {
        endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT,
        sampler: config.OTEL_TRACES_SAMPLER,
        ratio: config.OTEL_TRACES_SAMPLER_ARG,
      },
      'tracing: spans are exported over OTLP/HTTP',
    );
  }

  let velocity: VelocityStore;
  let decisions: DecisionCache;
  let lastLogged = 0;
  const redisConnection = openRedis(config, (err: Error) => {
    metrics.dependencyError('redis');
    const now = Date.now();
    if (now - lastLogged > 10_000) {
      lastLogged = now;
      logger.warn({ err: err.message }, 'redis connection error');
    }
  });
  const storeKind = redisConnection?.kind ?? 'memory';
  if (redisConnection !== null) {
    const redis = redisConnection.client;
    closers.push(() => redisConnection.close());
    const redisError = (): void => metrics.dependencyError('redis');
    let velocityStore = createRedisVelocityStore({
      redis,
      keyPrefix: config.REDIS_KEY_PREFIX,
      limits,
      // One Redis: the idempotency lookup and claim go in the velocity script's call.
      idempotencyKeyPrefix: config.REDIS_KEY_PREFIX,
    });
    let decisionCache = createRedisDecisionCache({ redis, keyPrefix: config.REDIS_KEY_PREFIX });
    if (redisConnection.kind === 'redis-cluster') {
      velocityStore = boundVelocity(velocityStore, config.REDIS_TIMEOUT_MS);
      decisionCache = boundDecisions(decisionCache, config.REDIS_TIMEOUT_MS);
      logger.info(
        {
          nodes: config.REDIS_CLUSTER_NODES?.map((n) => `${n.host}:${n.port}`),
          ...(config.REDIS_URL !== undefined && { ignored: 'REDIS_URL' }),
        },
        'velocity features and idempotency on a Redis Cluster (REDIS_CLUSTER_NODES)',
      );
      // The client learns the slot map before it sends anything: give it that long, so the
      // first calls are not degraded for it. An unreachable cluster does not stop the start.
      await withinMs(redis.ping(), CLUSTER_START_WAIT_MS, 'redis cluster').catch((err: unknown) =>
        logger.warn(
          { err: String(err) },
          'redis cluster not ready yet; scoring degrades until it is',
        ),
      );
    }
    velocity = countVelocityErrors(velocityStore, redisError);
    decisions = countDecisionErrors(decisionCache, redisError);
    checks.push({
      name: 'redis',
      check: () => velocity.ping(),
      critical: config.READINESS_ON_REDIS_FAILURE === 'unready',
    });
  } else {
    velocity = createMemoryVelocityStore({ limits });
    decisions = createMemoryDecisionCache();
    logger.info(
      'REDIS_URL and REDIS_CLUSTER_NODES not set: velocity features and idempotency are kept in memory',
    );
  }
  closers.push(
    () => velocity.close(),
    () => decisions.close(),
  );
  let stores;
  try {
    stores = await openStores(config, logger, (dependency) => metrics.dependencyError(dependency));
  } catch (err) {
    // A store that cannot open fails the start: release the clients opened above first.
    for (const c of closers.reverse()) await c().catch(() => undefined);
    throw err;
  }
  closers.push(() => stores.close());
  if (stores.ping !== null) {
    checks.push({
      name: stores.mode === 'postgres' ? 'postgres' : 'embedded-db',
      check: stores.ping,
      critical: false,
    });
  }
  let rulesSetup;
  let modelsSetup: ModelsSetup | undefined;
  let emit;
  const modelMetrics = createModelMetrics(metrics.registry);
  try {
    rulesSetup = await setupRules(config, stores.rulesets, stores.mode, logger, metrics);
    modelsSetup = await setupModels(config, stores.models, stores.mode, logger, (role, m) =>
      modelMetrics.observeModels(role, m),
    );
    emit = await setupEmitters(
      config,
      stores,
      logger,
      createEmitMetrics(
        metrics.registry,
        (dependency) => metrics.dependencyError(dependency),
        stores.mode === 'postgres' ? 'postgres' : 'embedded-db',
      ),
    );
  } catch (err) {
    // Nothing is serving yet: release what was opened, then fail the start.
    await rulesSetup?.live.close().catch(() => undefined);
    await modelsSetup?.live.close().catch(() => undefined);
    for (const c of closers.reverse()) await c().catch(() => undefined);
    throw err;
  }
  const rules = rulesSetup.live;
  closers.push(() => rules.close());
  const modelsLive = modelsSetup.live;
  closers.push(() => modelsLive.close());
  // The scorer reads the anomaly role's active model once per call (ModelSource's shape).
  const models = modelsLive.source('anomaly');
  // And the fraud role's for the `fraud_probability` fact (null without an active one).
  const fraudModels = modelsLive.source('fraud');
  metrics.watchModel(() => models.current()?.version ?? null);
  // Every role with a shadow model scores each transaction again, after the answer is out.
  const shadows = createShadowScorer({
    roles: Object.entries(MODEL_ROLES).map(([role, spec]) => ({
      role,
      source: modelsLive.source(role as keyof typeof MODEL_ROLES),
      spec,
    })),
    onScore: (o) => modelMetrics.observeShadow(o),
    onDropped: () => modelMetrics.shadowDropped(),
    logger,
  });
  closers.push(() => Promise.resolve(shadows.close()));
  const modelWatcher = modelsSetup.startWatching();
  if (modelWatcher !== undefined) closers.push(() => modelWatcher.close());
  // Set when close() begins: the window buffer and the outbox relays get until then.
  let emitDeadline = Number.POSITIVE_INFINITY;
  const emitters = emit;
  closers.push(() => emitters.close(emitDeadline));
  emitters.start();

  const thresholds = {
    review: config.DECISION_REVIEW_THRESHOLD,
    decline: config.DECISION_DECLINE_THRESHOLD,
  };
  const recent = new RecentScored(config.BACKTEST_RECENT_TRANSACTIONS);
  // The console's live decisions and per-minute counts, fed by every scored transaction.
  const feed = createDecisionFeed();
  const decisionStats = createDecisionStats();
  const score = instrumentScorer(
    createScorer({
      velocity,
      decisions,
      rules,
      models,
      fraudModels,
      clock: opts.clock ?? systemClock,
      logger,
      thresholds,
      recent,
      onScored: (sample) => {
        if (sample.response !== undefined) decisionStats.add(sample.response);
        feed.publish(sample);
        shadows.observe(sample);
      },
      flags: emitters.flags,
      windows: emitters.windows,
      decisionLog: emitters.decisionLog,
      telemetry: createTelemetry({
        stageSeconds: metrics.stageSeconds,
        ...(tracing !== undefined && { tracer: tracing.tracer }),
        stores: {
          features: storeKind,
          decision_store: storeKind,
          flag:
            config.KAFKA_BROKERS === undefined
              ? 'ndjson-file'
              : stores.mode === 'memory'
                ? 'file'
                : stores.mode,
        },
      }),
    }),
    metrics,
  );
  const backtests = createBacktestPool({
    threads: config.BACKTEST_THREADS,
    queue: config.BACKTEST_QUEUE,
    modelPath: modelPath(config),
    limits,
  });
  closers.push(() => backtests.close());
  new Gauge({
    name: 'risk_backtests',
    help: 'Backtests on a worker thread (running) and waiting for one (queued)',
    labelNames: ['state'] as const,
    registers: [metrics.registry],
    collect() {
      const { running, queued } = backtests.stats();
      this.set({ state: 'running' }, running);
      this.set({ state: 'queued' }, queued);
    },
  });
  const rulesAdmin = createRulesAdmin({
    store: stores.rulesets,
    live: rules,
    recent,
    thresholds,
    runBacktest: (job) => backtests.run(job),
    approval: config.RULES_APPROVAL,
    labelsOf: (ids) => stores.decisionLog.currentLabels(ids),
  });
  const watcher = rulesSetup.startWatching(async (next) => {
    const { active, changed } = await rulesAdmin.publish({
      rules: next,
      author: RULES_DIR_AUTHOR,
      comment: `${rulesSetup.dir} edited`,
      source: 'rules-dir',
    });
    if (changed) logger.info({ version: active.version }, 'rules directory edited: published');
  });
  if (watcher !== undefined) closers.push(() => Promise.resolve(watcher.close()));

  const hasher = opts.hasher ?? createScryptHasher();
  const signInRefusals = new Counter({
    name: 'risk_sign_in_refusals_total',
    help: 'Refused sign-ins and admin API credentials: wrong ones, and ones held back by the brute-force delay',
    labelNames: ['credential', 'reason'] as const,
    registers: [metrics.registry],
  });
  const sessionMaxMs = config.SESSION_MAX_HOURS * 3_600_000;
  const auth = createAdminAuth({
    signIn: createSignIn({
      users: stores.users,
      hasher,
      clock: opts.clock ?? systemClock,
      adminToken: config.ADMIN_TOKEN,
      sessionIdleMs: config.SESSION_IDLE_MINUTES * 60_000,
      sessionMaxMs,
      freeFailures: config.LOGIN_FAILURES_BEFORE_DELAY,
      maxDelayMs: config.LOGIN_MAX_DELAY_SECONDS * 1000,
      onRefused: (credential, reason) => signInRefusals.inc({ credential, reason }),
    }),
    cookieSecure: config.SESSION_COOKIE_SECURE,
    sessionMaxMs,
    clientAddressHeader: config.LOGIN_CLIENT_ADDRESS_HEADER,
  });

  let draining = false;
  const http = await buildHttpServer({
    logger,
    score,
    registry: metrics.registry,
    checks,
    draining: () => draining,
    version: SERVICE_VERSION,
    rulesAdmin,
    modelRegistry: modelsSetup.registry,
    auth,
    accounts: createAccounts({ users: stores.users, hasher }),
    windows: stores.windows,
    decisionLog: stores.decisionLog,
    windowsAuth: config.WINDOWS_AUTH,
    decisions: {
      recent,
      feed,
      stats: decisionStats,
      explain: createDecisionExplainer(stores.rulesets),
    },
    consoleDir: join(PACKAGE_ROOT, 'dist', 'console'),
    limits: {
      requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      maxConnections: config.HTTP_MAX_CONNECTIONS,
    },
  });
  const grpc = createGrpcServer({ score, logger, checks, draining: () => draining });

  let closed: Promise<void> | undefined;
  return {
    config,
    logger,
    http,
    grpc,
    score,
    drain: () => {
      draining = true;
    },
    close() {
      closed ??= (async () => {
        draining = true;
        // Leaves time to close the clients before main.ts's SHUTDOWN_TIMEOUT_MS deadline.
        emitDeadline = Date.now() + Math.max(500, config.SHUTDOWN_TIMEOUT_MS - 1500);
        await Promise.all([
          http.close(),
          grpc.close(Math.max(1000, config.SHUTDOWN_TIMEOUT_MS - 1000)),
        ]);
        for (const c of closers.reverse()) {
          try {
            await c();
          } catch (err) {
            logger.warn({ err }, 'error while closing');
          }
        }
      })();
      return closed;
    },
  };
}
