/**
 * `npm run bench:profile`: the service under REST load (the bench's closed loop) with
 * `node --cpu-prof`, turned into a flame graph (inferno) and a table of where the CPU went,
 * both written to docs/perf/. Only the measured window counts: start-up, warm-up and shutdown
 * samples are cut off by their time stamps (the profile's clock is the monotonic one that
 * process.hrtime reads here too).
 *
 * Environment: PROFILE_SECONDS (10), PROFILE_CONNECTIONS (32), PROFILE_LABEL (`rest`, the file
 * names' tail), PROFILE_INTERVAL_US (250, the sampling interval), REDIS_URL (the local
 * services'; unset: velocity in memory). The service keeps rules, windows and flags in its
 * embedded store (a throwaway DATA_DIR). Needs `inferno-flamegraph` (`cargo install inferno`).
 * The tables are plain markdown: run `npx prettier --write docs/perf` before committing them.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { dropKeysWithPrefix } from '../../src/adapters/redis/drop-prefix.ts';
import { simulatorFeed } from '../simulator/feed.ts';
import type { CpuProfile } from './cpu-profile.ts';
import { byArea, windowSamples } from './cpu-profile.ts';
import { cpuSeconds } from './cpu.ts';
import { runHttpLoad } from './http-load.ts';
import { startServer } from './processes.ts';

const run = promisify(execFile);
const ROOT = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const SERVICE = join(ROOT, 'src/main.ts');

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  const v = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(v) || v <= 0) {
    process.stderr.write(`${name} must be a positive number, got "${raw}"\n`);
    process.exit(2);
  }
  return v;
}

const seconds = positive('PROFILE_SECONDS', 10);
const connections = positive('PROFILE_CONNECTIONS', 32);
const intervalUs = positive('PROFILE_INTERVAL_US', 250);
const label = process.env.PROFILE_LABEL ?? 'rest';
if (!/^[\w-]+$/.test(label)) {
  process.stderr.write(`PROFILE_LABEL may hold letters, digits, - and _ only, got "${label}"\n`);
  process.exit(2);
}
const redisUrl = process.env.REDIS_URL;
const log = (msg: string): void => {
  process.stderr.write(`[profile ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
};

/** inferno-flamegraph from PATH or cargo's bin directory. */
function findInferno(): string {
  for (const dir of [...(process.env.PATH ?? '').split(':'), join(homedir(), '.cargo/bin')]) {
    const p = join(dir, 'inferno-flamegraph');
    if (dir !== '' && existsSync(p)) return p;
  }
  process.stderr.write('inferno-flamegraph not found: install it with `cargo install inferno`\n');
  process.exit(2);
}

const inferno = findInferno();
const bodies = (): (() => string) => {
  const next = simulatorFeed({ seed: 7, runId: `profile-${randomUUID().slice(0, 8)}` });
  return () => JSON.stringify(next());
};
const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);

const profDir = mkdtempSync(join(tmpdir(), 'risk-profile-'));
const dataDir = mkdtempSync(join(tmpdir(), 'risk-profile-data-'));
const prefix = `bench:${randomUUID().slice(0, 8)}:`;
const server = await startServer(
  SERVICE,
  {
    HTTP_PORT: '0',
    GRPC_PORT: '0',
    LOG_LEVEL: 'info',
    RULES_ENGINE: 'compiled',
    DATA_DIR: dataDir,
    ...(redisUrl !== undefined && { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix }),
  },
  undefined,
  undefined,
  ['--cpu-prof', `--cpu-prof-dir=${profDir}`, `--cpu-prof-interval=${intervalUs}`],
);
let window: { from: number; to: number; requests: number; cpuUs: number; rps: number };
try {
  log(`warm-up 2 s, then ${seconds} s at ${connections} connections`);
  await runHttpLoad({ url: server.url, connections, durationSeconds: 2, body: bodies() });
  const body = bodies();
  const pid = server.process.pid ?? 0;
  const [from, cpu0] = [nowUs(), cpuSeconds(pid)];
  const r = await runHttpLoad({ url: server.url, connections, durationSeconds: seconds, body });
  const [to, cpu1] = [nowUs(), cpuSeconds(pid)];
  window = {
    from,
    to,
    requests: r.requests,
    cpuUs: (cpu1 - cpu0) * 1e6,
    rps: r.throughput,
  };
  if (r.errors + r.non2xx > 0) log(`warning: ${r.errors + r.non2xx} requests failed`);
} finally {
  // main.ts exits on SIGTERM, which is when node writes the profile.
  await server.stop();
  if (redisUrl !== undefined) {
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    await dropKeysWithPrefix(redis, prefix).finally(() => redis.disconnect());
  }
  rmSync(dataDir, { recursive: true, force: true });
}

const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
if (file === undefined) throw new Error(`node wrote no .cpuprofile to ${profDir}`);
const profile = JSON.parse(readFileSync(join(profDir, file), 'utf8')) as CpuProfile;
const w = windowSamples(profile, window.from, window.to, ROOT);

const stamp = new Date()
  .toISOString()
  .replace(/[:]/g, '')
  .replace(/\.\d+Z$/, 'Z');
const outDir = join(ROOT, 'docs/perf');
mkdirSync(outDir, { recursive: true });
const base = join(outDir, `${stamp}-${label}`);
const foldedPath = join(profDir, 'stacks.folded');
writeFileSync(foldedPath, w.folded.join('\n') + '\n');
const title = `risk-scoring, REST closed loop, ${connections} connections, ${seconds} s (${stamp})`;
const { stdout: svg } = await run(
  inferno,
  ['--title', title, '--countname', 'µs', '--width', '1600', foldedPath],
  { maxBuffer: 256 * 2 ** 20 },
);
writeFileSync(`${base}.svg`, svg);

const perRequest = (us: number): string => (us / window.requests).toFixed(1);
// A share of the sampled time, in µs of process CPU per request.
const cpuPerRequest = (us: number): string =>
  ((us / w.busyUs) * (window.cpuUs / window.requests)).toFixed(1);
const share = (us: number): string => `${((100 * us) / w.busyUs).toFixed(1)}%`;
const md = [
  `# CPU profile: ${title}`,
  '',
  `Made by \`npm run bench:profile\` (load-test/bench/profile.ts) on Node ${process.version}: the ` +
    `service with Redis ${redisUrl === undefined ? 'off (velocity in memory)' : 'on'} and its ` +
    "embedded store, driven by autocannon with the simulator's stream, `node --cpu-prof` " +
    `sampling every ${intervalUs} µs; only the samples of the measured window are counted.`,
  '',
  `- ${Math.round(window.rps).toLocaleString('en-US')} requests/s; ` +
    `${perRequest(window.cpuUs)} µs of process CPU per request (/proc, all threads); ` +
    `${perRequest(w.busyUs)} µs per request of the main thread's sampled time, which is wall ` +
    'time between samples and so also counts waits for a core on a busy machine (idle ' +
    `${((100 * w.idleUs) / (w.busyUs + w.idleUs)).toFixed(0)}% of the window). The tables ` +
    'give each share of the sampled time, and µs/request as that share of the /proc CPU.',
  `- Flame graph: [${stamp}-${label}.svg](${stamp}-${label}.svg) (inferno; open it in a browser ` +
    'to search and zoom).',
  '',
  '## Self time by area',
  '',
  '| area | µs/request | share |',
  '|---|---|---|',
  ...byArea(w.selfTimes)
    .slice(0, 20)
    .map((a) => `| ${a.area} | ${cpuPerRequest(a.selfUs)} | ${share(a.selfUs)} |`),
  '',
  '## Top 40 functions by self time',
  '',
  '| function | area | µs/request | share |',
  '|---|---|---|---|',
  ...w.selfTimes
    .slice(0, 40)
    .map(
      (s) =>
        `| \`${s.frame.replaceAll('|', '\\|')}\` | ${s.area} | ${cpuPerRequest(s.selfUs)} | ${share(s.selfUs)} |`,
    ),
  '',
  '## Our functions by total time (self + callees)',
  '',
  '| function | area | µs/request | share |',
  '|---|---|---|---|',
  ...w.totalTimes
    .filter((s) => s.area.startsWith('src/'))
    .slice(0, 30)
    .map(
      (s) =>
        `| \`${s.frame.replaceAll('|', '\\|')}\` | ${s.area} | ${cpuPerRequest(s.selfUs)} | ${share(s.selfUs)} |`,
    ),
  '',
].join('\n');
writeFileSync(`${base}.md`, md);
rmSync(join(profDir, file));
log(`wrote ${base}.svg and ${base}.md; the folded stacks are in ${foldedPath}`);
log('before committing the table: npx prettier --write docs/perf');
