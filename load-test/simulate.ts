// `npm run simulate -- [--seed N] [--customers N] [--hours N] [--out FILE] [--labels]
//                      [--target URL] [--rate N] [--max-seconds N]`
// Writes the simulator's labelled stream as NDJSON (to FILE or stdout), or replays it to a
// running service's POST /v1/score at a fixed rate with progress on stderr.
import { createWriteStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { LabelledTransaction } from './simulator/simulator.ts';
import { SCENARIOS, simulate } from './simulator/simulator.ts';

const USAGE = `usage: npm run simulate -- [--seed N] [--customers N] [--hours N]
         [--out FILE] [--labels]                 write NDJSON (stdout without --out)
         [--target http://127.0.0.1:8080 --rate N [--max-seconds N]]   replay to a service`;

function positive(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0)
    throw new Error(`--${name} must be a positive number, got "${v}"`);
  return n;
}

async function write(stream: LabelledTransaction[], out: Writable, labels: boolean) {
  for (const item of stream) {
    const line = JSON.stringify(labels ? item : item.transaction) + '\n';
    if (!out.write(line)) await once(out, 'drain');
  }
}

async function replay(
  stream: LabelledTransaction[],
  target: string,
  rate: number,
  maxSeconds: number,
) {
  const url = new URL('/v1/score', target).toString();
  const counts = { sent: 0, answered: 0, errors: 0, approve: 0, review: 0, decline: 0 };
  const started = performance.now();
  const deadline = started + maxSeconds * 1000;
  const progress = setInterval(() => {
    const s = ((performance.now() - started) / 1000).toFixed(0);
    process.stderr.write(
      `[simulate] ${s}s sent ${counts.sent}/${stream.length} answered ${counts.answered} errors ${counts.errors} ` +
        `approve ${counts.approve} review ${counts.review} decline ${counts.decline}\n`,
    );
  }, 1000);
  const inFlight = new Set<Promise<void>>();
  try {
    for (const [i, item] of stream.entries()) {
      const due = started + (i * 1000) / rate;
      if (due > deadline) break;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      counts.sent += 1;
      const p = fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(item.transaction),
      })
        .then(async (res) => {
          const body = (await res.json()) as { decision?: 'approve' | 'review' | 'decline' };
          if (res.status === 200 && body.decision !== undefined) {
            counts.answered += 1;
            counts[body.decision] += 1;
          } else counts.errors += 1;
        })
        .catch(() => {
          counts.errors += 1;
        })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await Promise.all(inFlight);
  } finally {
    clearInterval(progress);
  }
  process.stderr.write(`[simulate] done: ${JSON.stringify(counts)}\n`);
  if (counts.errors > 0) process.exitCode = 1;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string' },
      customers: { type: 'string' },
      hours: { type: 'string' },
      out: { type: 'string' },
      labels: { type: 'boolean', default: false },
      target: { type: 'string' },
      rate: { type: 'string' },
      'max-seconds': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const seed = Math.floor(positive('seed', values.seed, 1));
  const stream = simulate({
    seed,
    customers: Math.floor(positive('customers', values.customers, 2000)),
    hours: positive('hours', values.hours, 48),
  });
  const fraud = stream.filter((s) => s.label.fraud);
  const byScenario = Object.fromEntries(
    SCENARIOS.map((sc) => [sc, fraud.filter((s) => s.label.scenario === sc).length]),
  );
  process.stderr.write(
    `[simulate] seed ${seed}: ${stream.length} transactions, ${fraud.length} fraudulent ${JSON.stringify(byScenario)}\n`,
  );
  if (values.target !== undefined) {
    await replay(
      stream,
      values.target,
      positive('rate', values.rate, 500),
      positive('max-seconds', values['max-seconds'], 300),
    );
    return;
  }
  const out = values.out === undefined ? process.stdout : createWriteStream(values.out);
  await write(stream, out, values.labels);
  if (out !== process.stdout) {
    out.end();
    await once(out, 'finish');
  }
}

main().catch((err: unknown) => {
  console.error(`simulate: ${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
  process.exit(2);
});
