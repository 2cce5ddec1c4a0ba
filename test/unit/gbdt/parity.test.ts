import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseGbdtArtifact, probability } from '../../../src/domain/gbdt/artifact.ts';
import { rawScore } from '../../../src/domain/gbdt/trees.ts';

/*
 * test/fixtures/gbdt/parity.json is written by load-test/model/python/parity_fixture.py: two
 * LightGBM models (one with zeros as missing) exported by our exporter, 300 rows with NaNs and
 * zeros in every column, and LightGBM's own raw scores and probabilities for them.
 */
interface Fixture {
  rows: Array<Array<number | null>>;
  models: Array<{ artifact: unknown; raw: number[]; probabilities: number[] }>;
}
const fixture = JSON.parse(
  readFileSync(new URL('../../fixtures/gbdt/parity.json', import.meta.url), 'utf8'),
) as Fixture;
const rows = fixture.rows.map((r) => Float64Array.from(r, (v) => (v === null ? Number.NaN : v)));

describe('the TS evaluator against LightGBM', { timeout: 60_000 }, () => {
  for (const m of fixture.models) {
    const parsed = parseGbdtArtifact(m.artifact);
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.errors.join('; '));
    const { model } = parsed;
    test(`${model.meta.version}: raw scores and probabilities equal LightGBM's to 1e-12`, () => {
      let worst = 0;
      for (let i = 0; i < rows.length; i++) {
        const raw = rawScore(model.trees, rows[i]!);
        const p = probability(model, raw);
        worst = Math.max(worst, Math.abs(raw - m.raw[i]!), Math.abs(p - m.probabilities[i]!));
        assert.ok(
          Math.abs(p - m.probabilities[i]!) <= 1e-12,
          `row ${i}: ours ${p}, LightGBM ${m.probabilities[i]}`,
        );
      }
      assert.ok(worst <= 1e-12, `largest difference ${worst}`);
    });
    test(`${model.meta.version}: the rows reach different leaves (the check can fail)`, () => {
      const distinct = new Set(m.probabilities.map((p) => p.toFixed(9)));
      assert.ok(distinct.size > 100, `${distinct.size} distinct probabilities`);
    });
  }
  test('the two models use every missing-value rule between them', () => {
    const kinds = new Set(
      fixture.models.flatMap((m) => (m.artifact as { trees: { missing: string[] } }).trees.missing),
    );
    assert.deepEqual([...kinds].sort(), ['nan', 'none', 'zero']);
  });
});
