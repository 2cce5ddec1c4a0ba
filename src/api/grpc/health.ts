import type {
  ServerUnaryCall,
  ServiceDefinition,
  ServerWritableStream,
  UntypedServiceImplementation,
  sendUnaryData,
} from '@grpc/grpc-js';
import { status as grpcStatus } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import type { ReadinessCheck } from '../readiness.ts';
import { runReadinessChecks } from '../readiness.ts';

type ServingStatus = 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

interface HealthCheckRequest {
  service?: string;
}
interface HealthCheckResponse {
  status: ServingStatus;
}

export interface GrpcHealthOptions {
  /** The names a caller may ask about: "" (the whole server) and each service. */
  services: readonly string[];
  checks: readonly ReadinessCheck[];
  /** True once shutdown has begun: every service reports NOT_SERVING. */
  draining: () => boolean;
  timeoutMs?: number;
  /** How often an open Watch re-runs the checks to report a change. */
  watchIntervalMs?: number;
}

export interface GrpcHealth {
  definition: ServiceDefinition;
  implementation: UntypedServiceImplementation;
  /** Reports NOT_SERVING to every open Watch and ends it, so that shutdown need not wait. */
  shutdown(): void;
}

/**
 * grpc.health.v1.Health with the semantics of `GET /readyz`: SERVING while every readiness check
 * answers, NOT_SERVING when one fails or the server is draining. grpc-health-check's own
 * implementation holds statuses that someone must push; here each Check runs the checks when
 * asked, as /readyz does, so a probe never sees a stale answer. Its service definition is used
 * as is.
 */
export function createGrpcHealth(opts: GrpcHealthOptions): GrpcHealth {
  const timeoutMs = opts.timeoutMs ?? 1000;
  const watchIntervalMs = opts.watchIntervalMs ?? 5000;
  const known = new Set(opts.services);
  const watchers = new Set<ServerWritableStream<HealthCheckRequest, HealthCheckResponse>>();
  let stopped = false;

  async function evaluate(): Promise<ServingStatus> {
    if (stopped || opts.draining()) return 'NOT_SERVING';
    const results = await runReadinessChecks(opts.checks, timeoutMs);
    if (results.some((r) => !r.ok && r.critical)) return 'NOT_SERVING';
    return stopped || opts.draining() ? 'NOT_SERVING' : 'SERVING';
  }

  const implementation: UntypedServiceImplementation = {
    Check(
      call: ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>,
      callback: sendUnaryData<HealthCheckResponse>,
    ): void {
      const name = call.request.service ?? '';
      if (!known.has(name)) {
        callback({ code: grpcStatus.NOT_FOUND, details: `unknown service "${name}"` });
        return;
      }
      void evaluate().then((status) => callback(null, { status }));
    },

    Watch(call: ServerWritableStream<HealthCheckRequest, HealthCheckResponse>): void {
      const name = call.request.service ?? '';
      if (stopped) {
        call.end();
        return;
      }
      watchers.add(call);
      let last: ServingStatus | undefined;
      let timer: NodeJS.Timeout | undefined;
      const report = async (): Promise<void> => {
        const status = known.has(name) ? await evaluate() : 'SERVICE_UNKNOWN';
        if (status !== last && watchers.has(call)) {
          last = status;
          call.write({ status });
        }
        if (watchers.has(call)) timer = setTimeout(() => void report(), watchIntervalMs);
      };
      call.on('cancelled', () => {
        watchers.delete(call);
        clearTimeout(timer);
      });
      call.on('close', () => {
        watchers.delete(call);
        clearTimeout(timer);
      });
      void report();
    },

    List(_call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>): void {
      void evaluate().then((status) => {
        const statuses = Object.fromEntries([...known].map((name) => [name, { status }]));
        callback(null, { statuses });
      });
    },
  };

  return {
    definition: healthService,
    implementation,
    shutdown() {
      stopped = true;
      for (const call of watchers) {
        call.write({ status: 'NOT_SERVING' });
        call.end();
      }
      watchers.clear();
    },
  };
}
