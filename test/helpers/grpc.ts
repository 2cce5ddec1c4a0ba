import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type {
  ClientDuplexStream,
  MethodDefinition,
  ServiceError,
  StatusObject,
} from '@grpc/grpc-js';
import { Client, Metadata, credentials } from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import { loadSync } from '@grpc/proto-loader';
import type { App } from '../../src/app/build-app.ts';
import type { ErrorDetail } from '../../src/domain/errors.ts';
import type {
  ProtoScoreResponse,
  ProtoScoreStreamResponse,
  ProtoTransaction,
} from '../../src/api/grpc/messages.ts';
import { PROTO_LOADER_OPTIONS, loadServicePackage } from '../../src/api/grpc/proto.ts';
import type { GrpcServer, GrpcServerOptions } from '../../src/api/grpc/server.ts';
import { createGrpcServer } from '../../src/api/grpc/server.ts';
import { ERROR_CODE_KEY, ERROR_DETAILS_KEY } from '../../src/api/grpc/status.ts';
import { buildTestApp } from './app.ts';

function method<Req, Res>(pkg: PackageDefinition, service: string, name: string) {
  const def = (pkg[service] as Record<string, unknown> | undefined)?.[name];
  if (def === undefined) throw new Error(`no method ${service}/${name}`);
  return def as MethodDefinition<Req, Res>;
}

interface ReflectionRequest {
  list_services?: string;
  file_containing_symbol?: string;
}
interface ReflectionResponse {
  list_services_response?: { service?: Array<{ name?: string }> };
  file_descriptor_response?: { file_descriptor_proto?: Buffer[] };
  error_response?: { error_code?: number; error_message?: string };
}

/** Request metadata: a key with a list of values is sent once per value. */
export type RequestMetadata = Record<string, string | readonly string[]>;

function toMetadata(headers: RequestMetadata): Metadata {
  const md = new Metadata();
  for (const [key, values] of Object.entries(headers)) {
    for (const v of typeof values === 'string' ? [values] : values) md.add(key, v);
  }
  return md;
}

function loadReflectionPackage(): PackageDefinition {
  const require = createRequire(import.meta.url);
  const root = join(dirname(require.resolve('@grpc/reflection/package.json')), 'build', 'proto');
  return loadSync('grpc/reflection/v1/reflection.proto', {
    ...PROTO_LOADER_OPTIONS,
    includeDirs: [root],
  });
}

/** A typed client of the risk service, its health service and server reflection. */
export class RiskGrpcClient {
  readonly client: Client;
  private readonly pkg = loadServicePackage();
  private readonly reflection = loadReflectionPackage();

  constructor(address: string) {
    this.client = new Client(address, credentials.createInsecure());
  }

  /** Unary Score; resolves with the response and the response headers. */
  score(
    tx: ProtoTransaction,
    metadata: RequestMetadata = {},
  ): Promise<{ response: ProtoScoreResponse; headers: Metadata }> {
    const m = method<ProtoTransaction, ProtoScoreResponse>(
      this.pkg,
      'risk.v1.RiskScoring',
      'Score',
    );
    return new Promise((resolve, reject) => {
      let headers: Metadata | undefined;
      const call = this.client.makeUnaryRequest(
        m.path,
        m.requestSerialize,
        m.responseDeserialize,
        tx,
        toMetadata(metadata),
        (err, response) => {
          if (err) reject(err);
          else if (response === undefined) reject(new Error('no response'));
          else resolve({ response, headers: headers ?? new Metadata() });
        },
      );
      call.on('metadata', (md: Metadata) => {
        headers = md;
      });
    });
  }

  /** Unary Score with the request's bytes as given: for what no serializer would write. */
  scoreRaw(bytes: Buffer): Promise<ProtoScoreResponse> {
    const m = method<ProtoTransaction, ProtoScoreResponse>(
      this.pkg,
      'risk.v1.RiskScoring',
      'Score',
    );
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        m.path,
        (b: Buffer) => b,
        m.responseDeserialize,
        bytes,
        new Metadata(),
        (err, response) => (err ? reject(err) : resolve(response ?? {})),
      );
    });
  }

  /** The bytes `score` would send for this message. */
  encode(tx: ProtoTransaction): Buffer {
    return method<ProtoTransaction, ProtoScoreResponse>(
      this.pkg,
      'risk.v1.RiskScoring',
      'Score',
    ).requestSerialize(tx);
  }

  openStream(
    metadata: RequestMetadata = {},
  ): ClientDuplexStream<ProtoTransaction, ProtoScoreStreamResponse> {
    const m = method<ProtoTransaction, ProtoScoreStreamResponse>(
      this.pkg,
      'risk.v1.RiskScoring',
      'ScoreStream',
    );
    return this.client.makeBidiStreamRequest(
      m.path,
      m.requestSerialize,
      m.responseDeserialize,
      toMetadata(metadata),
    );
  }

  /** Sends every transaction (respecting backpressure), half-closes, collects every answer. */
  async scoreStream(
    txs: readonly ProtoTransaction[],
    metadata: RequestMetadata = {},
  ): Promise<{ items: ProtoScoreStreamResponse[]; status: StatusObject }> {
    const call = this.openStream(metadata);
    const items: ProtoScoreStreamResponse[] = [];
    call.on('data', (item: ProtoScoreStreamResponse) => items.push(item));
    const done = new Promise<StatusObject>((resolve, reject) => {
      call.on('status', resolve);
      call.on('error', (err: ServiceError) => {
        if (err.code === undefined) reject(err);
      });
    });
    for (const tx of txs) {
      if (!call.write(tx)) await new Promise((r) => call.once('drain', r));
    }
    call.end();
    return { items, status: await done };
  }

  health(service: string): Promise<string> {
    const m = method<{ service: string }, { status?: string }>(
      this.pkg,
      'grpc.health.v1.Health',
      'Check',
    );
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        m.path,
        m.requestSerialize,
        m.responseDeserialize,
        { service },
        (err, res) => (err ? reject(err) : resolve(res?.status ?? 'UNKNOWN')),
      );
    });
  }

  /** One request on the reflection service (grpc.reflection.v1), as grpcurl makes it. */
  reflect(request: ReflectionRequest): Promise<ReflectionResponse> {
    const m = method<ReflectionRequest, ReflectionResponse>(
      this.reflection,
      'grpc.reflection.v1.ServerReflection',
      'ServerReflectionInfo',
    );
    return new Promise((resolve, reject) => {
      const call = this.client.makeBidiStreamRequest(
        m.path,
        m.requestSerialize,
        m.responseDeserialize,
      );
      call.once('data', (res: ReflectionResponse) => {
        resolve(res);
        call.end();
      });
      call.on('error', reject);
      call.write(request);
    });
  }

  close(): void {
    this.client.close();
  }
}

/** The REST error body's fields, read back from a failed call's status and trailers. */
export function riskErrorOf(err: unknown): {
  status: number;
  code: string | undefined;
  message: string;
  details: ErrorDetail[];
} {
  const e = err as ServiceError;
  const raw = e.metadata?.get(ERROR_DETAILS_KEY)[0];
  const code = e.metadata?.get(ERROR_CODE_KEY)[0];
  return {
    status: e.code,
    code: typeof code === 'string' ? code : undefined,
    message: e.details,
    details: Buffer.isBuffer(raw) ? (JSON.parse(raw.toString('utf8')) as ErrorDetail[]) : [],
  };
}

export interface GrpcTestServer {
  server: GrpcServer;
  port: number;
  client: RiskGrpcClient;
  close(): Promise<void>;
}

/** A gRPC server on 127.0.0.1 and a random port, with a client connected to it. */
export async function startGrpcServer(opts: GrpcServerOptions): Promise<GrpcTestServer> {
  const server = createGrpcServer(opts);
  const port = await server.listen('127.0.0.1', 0);
  const client = new RiskGrpcClient(`127.0.0.1:${port}`);
  return {
    server,
    port,
    client,
    async close() {
      client.close();
      await server.close(1000);
    },
  };
}

/** The app on embedded defaults (as buildTestApp builds it) behind a listening gRPC door. */
export async function startGrpcApp(
  env: Record<string, string> = {},
): Promise<GrpcTestServer & { app: App }> {
  const app = await buildTestApp(env);
  const grpc = await startGrpcServer({
    score: app.score,
    logger: app.logger,
    checks: [],
    draining: () => false,
  });
  return {
    ...grpc,
    app,
    async close() {
      await grpc.close();
      await app.close();
    },
  };
}
