import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

/** What every load bench of the service is given. */
export interface ServiceBenchOptions {
  redisUrl: string;
  /** Closed loop: connections, one request in flight each. */
  connections: number;
  durationSeconds: number;
  fixedRate: number;
  /** Where the service keeps rules, windows and flags: PostgreSQL and Kafka in this bench. */
  serviceEnv: Record<string, string>;
  /** The same kept in the service's embedded store instead: a fresh DATA_DIR per call. */
  redisOnlyEnv: () => Record<string, string>;
  log: (msg: string) => void;
}

export interface BenchSection {
  title: string;
  /** What was measured and how, in a sentence or two. */
  method: string;
  columns: string[];
  rows: Array<Array<string | number>>;
  notes?: string[];
}

export interface BenchReport {
  startedAt: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string };
  sections: BenchSection[];
  /** The sections asked for, when not all (BENCH_ONLY). */
  only?: string[];
  notes?: string[];
}

export function machineInfo(): BenchReport['machine'] {
  const c = cpus();
  return {
    cpus: c.length,
    cpuModel: c[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  };
}

function fmt(v: string | number): string {
  if (typeof v === 'string') return v;
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toFixed(3);
}

export function toMarkdown(r: BenchReport): string {
  const lines = [
    `# Benchmark report, ${r.startedAt}`,
    '',
    `Machine: ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}.`,
    'Every figure is from this run; ratios compare measurements taken in the same run.',
    ...(r.only !== undefined ? [`Sections run (BENCH_ONLY): ${r.only.join(', ')}.`] : []),
    ...(r.notes ?? []),
    '',
  ];
  for (const s of r.sections) {
    lines.push(`## ${s.title}`, '', s.method, '');
    lines.push(`| ${s.columns.join(' | ')} |`, `|${s.columns.map(() => '---').join('|')}|`);
    for (const row of s.rows) lines.push(`| ${row.map(fmt).join(' | ')} |`);
    lines.push('');
    for (const n of s.notes ?? []) lines.push(`- ${n}`);
    if (s.notes?.length) lines.push('');
  }
  return lines.join('\n');
}

/** Writes `<dir>/<date>-<name>.md` and `.json`; returns the markdown path. */
export function writeReport(r: BenchReport, dir = 'load-test/reports', name = 'bench'): string {
  mkdirSync(dir, { recursive: true });
  const stamp = r.startedAt.replace(/[:]/g, '').replace(/\.\d+Z$/, 'Z');
  const base = join(dir, `${stamp}-${name}`);
  writeFileSync(`${base}.json`, JSON.stringify(r, null, 2) + '\n');
  writeFileSync(`${base}.md`, toMarkdown(r));
  return `${base}.md`;
}
