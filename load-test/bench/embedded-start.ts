// How fast the embedded default starts (issue "First answer in seconds"):
// 1. open + migrate of the SQLite database, empty and existing (in this process, median of N);
// 2. `npm start` on embedded defaults from a fresh DATA_DIR, under /usr/bin/time -v: seconds
//    from spawn to the first 200 of POST /v1/score, and the process's max RSS; once with
//    EMBEDDED_STORE=sqlite (the default), once with EMBEDDED_STORE=memory, in the same run.
// Usage: node --disable-warning=ExperimentalWarning load-test/bench/embedded-start.ts [runs]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteDatabase } from '../../src/adapters/sqlite/sqlite-database.ts';
import { migrateSqlite } from '../../src/adapters/sqlite/sqlite-migrations.ts';

const runs = Number(process.argv[2] ?? 5);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function openAndMigrateMs(path: string): number {
  const t = performance.now();
  const db = openSqliteDatabase({ path });
  migrateSqlite(db);
  const ms = performance.now() - t;
  db.close();
  return ms;
}

const empty: number[] = [];
const existing: number[] = [];
for (let i = 0; i < runs; i++) {
  const dir = mkdtempSync(join(tmpdir(), 'risk-open-'));
  const path = join(dir, 'risk.sqlite');
  empty.push(openAndMigrateMs(path));
  existing.push(openAndMigrateMs(path));
  rmSync(dir, { recursive: true, force: true });
}
console.log(
  `open+migrate: empty ${median(empty).toFixed(1)} ms, existing ${median(existing).toFixed(1)} ms` +
    ` (median of ${runs}; all empty: ${empty.map((x) => x.toFixed(1)).join(' ')})`,
);

const tx = (i: number) =>
  JSON.stringify({
    transaction_id: `start-${process.pid}-${i}`,
    timestamp: new Date().toISOString(),
    amount: 12.5,
    account_id: 'acc-start',
  });

async function npmStart(store: 'sqlite' | 'memory'): Promise<{ seconds: number; rssMb: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), `risk-start-${store}-`));
  const port = 18_000 + Math.floor(Math.random() * 2000);
  const started = performance.now();
  const child = spawn('/usr/bin/time', ['-v', 'npm', 'start', '--silent'], {
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      EMBEDDED_STORE: store,
      HTTP_PORT: String(port),
      GRPC_PORT: String(port + 1),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
    // Its own process group, so that one signal reaches time, npm and the service.
    detached: true,
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = once(child, 'exit');
  let seconds = Number.NaN;
  for (let i = 0; performance.now() - started < 60_000; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/v1/score`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: tx(i),
      });
      if (res.status === 200) {
        seconds = (performance.now() - started) / 1000;
        break;
      }
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  // SIGINT to the group: GNU time ignores it and goes on waiting, so it still reports; npm and
  // the service (which shuts down cleanly on SIGINT) both receive it.
  process.kill(-child.pid!, 'SIGINT');
  await exited;
  rmSync(dataDir, { recursive: true, force: true });
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
  return { seconds, rssMb: rss ? Number(rss[1]) / 1024 : Number.NaN };
}

for (const store of ['sqlite', 'memory'] as const) {
  const r = await npmStart(store);
  console.log(
    `npm start, EMBEDDED_STORE=${store}, fresh DATA_DIR: first 200 after ${r.seconds.toFixed(2)} s, max RSS ${r.rssMb.toFixed(0)} MB`,
  );
}
