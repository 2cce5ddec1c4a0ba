import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Options, PackageDefinition } from '@grpc/proto-loader';
import { loadSync } from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';

/** The service's proto file, relative to the package's `proto/` folder. */
export const RISK_PROTO_FILE = 'risk/v1/risk.proto';
export const RISK_SERVICE_NAME = 'risk.v1.RiskScoring';
const HEALTH_PROTO_FILE = 'health/v1/health.proto';

/**
 * How messages look in JavaScript: field names as in the proto (snake_case, the REST names),
 * unset fields absent (so "unset" stays distinguishable from 0 and ""), and for each oneof a
 * property naming the field that is set.
 */
export const PROTO_LOADER_OPTIONS: Options = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: false,
  oneofs: true,
};

/**
 * The package's `proto/` folder, found by walking up from this module (src/api/grpc/), so that
 * a caller may also pass any folder below the package root.
 */
export function findProtoRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'proto');
    if (existsSync(join(candidate, RISK_PROTO_FILE))) return candidate;
    if (dirname(dir) === dir) {
      throw new Error(`cannot find proto/${RISK_PROTO_FILE} in ${from} or any folder above it`);
    }
  }
}

/**
 * risk.v1 and grpc.health.v1 in one package definition: the server takes RiskScoring from it,
 * and reflection describes every service in it, so `grpcurl list` shows both. The import of
 * google/protobuf/struct.proto needs no include folder: protobufjs answers any
 * `google/protobuf/*.proto` it bundles from its own copy before asking the include path
 * (see value.ts and reflection.ts for how that copy differs from the real file).
 */
export function loadServicePackage(protoRoot: string = findProtoRoot()): PackageDefinition {
  const healthRoot = resolve(dirname(healthProtoPath), '..', '..');
  return loadSync([RISK_PROTO_FILE, HEALTH_PROTO_FILE], {
    ...PROTO_LOADER_OPTIONS,
    includeDirs: [protoRoot, healthRoot],
  });
}
