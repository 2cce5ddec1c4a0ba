import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/** Linux's USER_HZ, the unit of the CPU times in /proc/<pid>/stat. */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * CPU seconds (user + system) of a process, or of the children this process has waited for
 * (the load generators, once they have exited); NaN where there is no /proc.
 */
export function cpuSeconds(of: number | 'exited children'): number {
  try {
    const stat = readFileSync(`/proc/${of === 'exited children' ? 'self' : of}/stat`, 'utf8');
    // Fields from the 3rd on follow the command name, which may contain spaces and ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const [user, system] = of === 'exited children' ? [13, 14] : [11, 12];
    return (Number(fields[user]) + Number(fields[system])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

/** CPU seconds Redis has used so far (user + system, from INFO cpu); NaN if it does not say. */
export async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const read = (name: string): number => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1]);
  return read('used_cpu_user') + read('used_cpu_sys');
}
