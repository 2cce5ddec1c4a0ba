import { performance } from 'node:perf_hooks';
import type { ModelArtifact } from '../../src/domain/anomaly/artifact.ts';
import type { IsolationForest } from '../../src/domain/anomaly/forest.ts';
import { anomalyScore } from '../../src/domain/anomaly/forest.ts';
import type { Matrix } from '../../src/domain/anomaly/matrix.ts';
import { rocAuc } from '../../src/domain/anomaly/roc-auc.ts';
import { scoreRows } from '../../src/domain/anomaly/train.ts';
import type { FeatureRows } from './training-data.ts';

export interface PatternResult {
  pattern: string;
  rows: number;
  /** AUC of this pattern's rows against the normal rows. */
  auc: number | null;
  /** Share of the pattern's rows at or above the threshold. */
  flagged: number;
}

export interface HoldoutResult {
  seed: number;
  rows: number;
  fraudRows: number;
  auc: number;
  patterns: PatternResult[];
}

export interface TrainingReport {
  command: string;
  artifactPath: string;
  artifactBytes: number;
  meta: ModelArtifact;
  forest: IsolationForest;
  trainSeconds: number;
  usPerScore: number;
  trainingAuc?: number | undefined;
  holdout?: HoldoutResult;
}

/** Median over five passes of the time to score one row, after a warm-up pass. */
export function timeScoring(forest: IsolationForest, data: Matrix): number {
  const n = Math.min(data.rows, 20_000);
  const rows = Array.from({ length: n }, (_, r) =>
    data.values.slice(r * data.cols, (r + 1) * data.cols),
  );
  const passes: number[] = [];
  let sink = 0;
  for (let p = 0; p < 6; p++) {
    const t0 = performance.now();
    for (const x of rows) sink += anomalyScore(forest, x);
    if (p > 0) passes.push(((performance.now() - t0) * 1000) / n);
  }
  if (Number.isNaN(sink)) throw new Error('NaN score');
  passes.sort((a, b) => a - b);
  return passes[Math.floor(passes.length / 2)]!;
}

/** Scores a labelled stream the model never saw; AUC overall and per fraud pattern. */
export function holdoutEvaluation(
  forest: IsolationForest,
  rows: FeatureRows,
  threshold: number,
  seed: number,
): HoldoutResult {
  if (rows.labels === undefined || rows.patterns === undefined)
    throw new Error('hold-out rows need labels and patterns');
  const scores = scoreRows(forest, rows.data);
  const patterns = [...new Set(rows.patterns)].sort();
  const results = patterns.map((pattern): PatternResult => {
    const pick: number[] = [];
    const lab: number[] = [];
    let count = 0;
    let flagged = 0;
    rows.patterns!.forEach((p, i) => {
      if (p !== pattern && p !== 'normal') return;
      pick.push(scores[i]!);
      lab.push(p === pattern ? 1 : 0);
      if (p === pattern) {
        count++;
        if (scores[i]! >= threshold) flagged++;
      }
    });
    const auc = pattern === 'normal' ? null : rocAuc(pick, lab);
    return { pattern, rows: count, auc, flagged: count > 0 ? flagged / count : 0 };
  });
  return {
    seed,
    rows: rows.data.rows,
    fraudRows: rows.labels.reduce((a, b) => a + b, 0),
    auc: rocAuc(scores, rows.labels),
    patterns: results,
  };
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

export function trainingReportMarkdown(r: TrainingReport): string {
  const m = r.meta;
  const f = r.forest;
  const lines = [
    `# Training report: ${m.name}-${m.version}`,
    '',
    `Created ${m.created_at} by \`${r.command}\`.`,
    '',
    `- Artifact: \`${r.artifactPath}\`, ${(r.artifactBytes / 1024).toFixed(0)} KiB, format \`${m.format}\`.`,
    `- Training data: ${m.training.source}; ${m.training.rows.toLocaleString('en-US')} rows.`,
    `- Forest: ${m.params.trees} trees, ψ = ${m.params.subsample_size}, height limit ${m.params.height_limit}, ` +
      `c(ψ) = ${m.normalisation.c_psi.toFixed(4)}, seed ${m.seed}; ${f.trees.feature.length.toLocaleString('en-US')} nodes ` +
      `(${(f.trees.feature.length / m.params.trees).toFixed(0)} a tree).`,
    `- Training took ${(r.trainSeconds * 1000).toFixed(1)} ms; scoring a feature vector takes ` +
      `${r.usPerScore.toFixed(2)} µs (median of five passes over up to 20,000 training rows, this machine).`,
    `- Threshold: score ${m.threshold.score.toFixed(4)}, the ${m.threshold.quantile} quantile of the ` +
      'training scores: about that share of ordinary traffic scores below it.',
  ];
  if (r.trainingAuc !== undefined)
    lines.push(`- ROC AUC on the (labelled) training rows: ${r.trainingAuc.toFixed(4)}.`);
  lines.push(
    '',
    '## Features (in the order of the vector; src/domain/anomaly/feature-vector.ts)',
    '',
    '| # | feature | min | max | mean |',
    '|---|---|---|---|---|',
    ...m.training.features.map(
      (s, i) => `| ${i} | \`${s.name}\` | ${fmt(s.min)} | ${fmt(s.max)} | ${fmt(s.mean)} |`,
    ),
    '',
    '## Scores of the training rows',
    '',
    '| quantile | score |',
    '|---|---|',
    ...m.training.score_quantiles.map((x) => `| ${x.q} | ${x.score.toFixed(4)} |`),
    '',
  );
  const h = r.holdout;
  if (h !== undefined) {
    lines.push(
      '## Hold-out: a labelled simulated stream the model never saw',
      '',
      `Seed ${h.seed}, the simulator with its fraud scenarios, ${h.rows.toLocaleString('en-US')} rows after a day of warm-up, ` +
        `${h.fraudRows.toLocaleString('en-US')} of them fraud. ROC AUC ${h.auc.toFixed(4)}. ` +
        'Per pattern: AUC of its rows against the normal rows, and the share scoring at or above ' +
        'the threshold (for `normal`, the false-positive rate).',
      '',
      '| pattern | rows | ROC AUC | at or above threshold |',
      '|---|---|---|---|',
      ...h.patterns.map(
        (p) =>
          `| ${p.pattern} | ${p.rows.toLocaleString('en-US')} | ${p.auc === null ? '—' : p.auc.toFixed(4)} | ${pct(p.flagged)} |`,
      ),
      '',
    );
  }
  return lines.join('\n');
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(3);
}
