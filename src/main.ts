import { buildApp } from './app/build-app.ts';
import { ConfigError, loadConfig } from './app/config.ts';

/**
 * The only place that listens and handles signals. On SIGTERM/SIGINT: fail readiness, stop
 * accepting, let in-flight requests finish, close every client, exit; a second signal or the
 * SHUTDOWN_TIMEOUT_MS deadline forces the exit.
 */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const app = await buildApp(config);
  const { logger } = app;
  await app.http.listen({ host: config.HOST, port: config.HTTP_PORT });
  const grpcPort = await app.grpc.listen(config.HOST, config.GRPC_PORT);
  logger.info({ grpc_port: grpcPort }, `gRPC listening at ${config.HOST}:${grpcPort}`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(() => {
      logger.error('shutdown deadline passed: exiting with work unfinished');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS);
    force.unref();
    app.close().then(
      () => {
        logger.info('shut down cleanly');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
