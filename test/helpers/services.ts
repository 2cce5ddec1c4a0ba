import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/app/paths.ts';

export type Service = 'redis' | 'postgres' | 'kafka';

/**
 * Stops or starts one local service through scripts/services.sh (idempotent; `start` waits
 * until the service is ready). Other engineers' tests share these services: whoever stops one
 * restarts it in a `finally`.
 */
export function serviceCtl(action: 'start' | 'stop', service: Service): number {
  const started = Date.now();
  const res = spawnSync('bash', [join(PACKAGE_ROOT, 'scripts/services.sh'), action, service], {
    encoding: 'utf8',
    timeout: 150_000,
  });
  if (res.status !== 0)
    throw new Error(`services.sh ${action} ${service} failed (${res.status}): ${res.stderr}`);
  return Date.now() - started;
}
