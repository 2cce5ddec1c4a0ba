import type {
  ServerUnaryCall,
  ServiceDefinition,
  UntypedServiceImplementation,
  sendUnaryData,
} from '@grpc/grpc-js';
import { Metadata, Server, ServerCredentials } from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { MAX_BODY_BYTES } from '../../domain/transaction.ts';
import type { Logger } from '../../pipeline/logger.ts';
import type { Scorer } from '../../pipeline/score.ts';
import type { ReadinessCheck } from '../readiness.ts';
import { createGrpcHealth } from './health.ts';
import type { ProtoScoreResponse, ProtoTransaction } from './messages.ts';
import { createTransactionReader, scoreResponseToProto } from './messages.ts';
import { RISK_SERVICE_NAME, findProtoRoot, loadServicePackage } from './proto.ts';
import { repairDescriptors } from './reflection.ts';
import { readScoreOptions } from './score-options.ts';
import { createScoreStreams } from './score-stream.ts';
import { asRiskError, toStatus } from './status.ts';
import { guardTransactionDeserializer } from './wire-check.ts';

export interface GrpcServerOptions {
  score: Scorer;
  logger: Logger;
  checks: readonly ReadinessCheck[];
  /** True once shutdown has begun: health says NOT_SERVING and new streams are refused. */
  draining: () => boolean;
  /** Where proto/ is; found from this module's location by default. */
  protoRoot?: string;
}

export interface GrpcServer {
  server: Server;
  /** Binds and starts serving; resolves with the bound port (useful with port 0). */
  listen(host: string, port: number): Promise<number>;
  /**
   * Stops accepting calls, lets in-flight ones finish (open streams answer what they have read,
   * then end with UNAVAILABLE), and cuts whatever is left after `graceMs`.
   */
  close(graceMs?: number): Promise<void>;
}

const DEFAULT_GRACE_MS = 5000;

/** The gRPC front door (DESIGN.md §4.5), built but not listening: main.ts listens. */
export function createGrpcServer(opts: GrpcServerOptions): GrpcServer {
  const log = opts.logger.child({ component: 'grpc' });
  const pkg = loadServicePackage(opts.protoRoot ?? findProtoRoot());
  const read = createTransactionReader();
  const { score } = opts;
  let closing = false;
  const draining = (): boolean => closing || opts.draining();

  const server = new Server({
    'grpc.max_receive_message_length': MAX_BODY_BYTES,
  });

  const streams = createScoreStreams({ score, read, logger: log, draining });
  const replayHeader = new Metadata();
  replayHeader.set('idempotent-replay', 'true');
  const riskScoring: UntypedServiceImplementation = {
    Score(
      call: ServerUnaryCall<ProtoTransaction, ProtoScoreResponse>,
      callback: sendUnaryData<ProtoScoreResponse>,
    ): void {
      Promise.resolve()
        .then(() => score(read(call.request), readScoreOptions(call.metadata)))
        .then(
          ({ response, replayed }) => {
            if (replayed) call.sendMetadata(replayHeader.clone());
            callback(null, scoreResponseToProto(response));
          },
          (err: unknown) => {
            const e = asRiskError(err);
            if (e.code === 'RISK_ERR_INTERNAL') log.error({ err }, 'scoring failed');
            callback(toStatus(e));
          },
        );
    },
    ScoreStream: streams.handle,
  };
  const service = pkg[RISK_SERVICE_NAME] as ServiceDefinition;
  const guarded: ServiceDefinition = {
    ...service,
    Score: guardTransactionDeserializer(service.Score!),
    ScoreStream: guardTransactionDeserializer(service.ScoreStream!),
  };
  server.addService(guarded, riskScoring);

  const health = createGrpcHealth({
    services: ['', RISK_SERVICE_NAME],
    checks: opts.checks,
    draining,
  });
  server.addService(health.definition, health.implementation);
  new ReflectionService(repairDescriptors(pkg)).addToServer(server);

  let closed: Promise<void> | undefined;
  return {
    server,
    listen(host, port) {
      const address = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
      return new Promise((resolve, reject) => {
        server.bindAsync(`${address}:${port}`, ServerCredentials.createInsecure(), (err, bound) =>
          err ? reject(err) : resolve(bound),
        );
      });
    },
    close(graceMs = DEFAULT_GRACE_MS) {
      closed ??= new Promise<void>((resolve) => {
        closing = true;
        health.shutdown();
        streams.stopAll();
        const force = setTimeout(() => {
          log.warn({ graceMs }, 'gRPC calls still open after the grace period: cancelling them');
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      return closed;
    },
  };
}
