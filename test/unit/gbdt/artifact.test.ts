import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { GBDT_FORMAT, parseGbdtArtifact } from '../../../src/domain/gbdt/artifact.ts';
import { fraudModelFromJson } from '../../../src/adapters/file/file-fraud-model-source.ts';
import { RiskError } from '../../../src/domain/errors.ts';

const fixture = JSON.parse(
  readFileSync(new URL('../../fixtures/gbdt/parity.json', import.meta.url), 'utf8'),
) as { models: Array<{ artifact: Record<string, unknown> }> };

type Artifact = Record<string, unknown> & { trees: Record<string, unknown[]> };
const good = (): Artifact => structuredClone(fixture.models[0]!.artifact) as Artifact;

function errorsOf(a: unknown): string[] {
  const r = parseGbdtArtifact(a);
  assert.equal(r.ok, false, 'the artifact should be refused');
  return r.ok ? [] : r.errors;
}

describe('risk-gbdt/1 artifacts', { timeout: 60_000 }, () => {
  test('the exported fixture is accepted', () => {
    const r = parseGbdtArtifact(good());
    assert.ok(r.ok);
    assert.equal(r.model.meta.format, GBDT_FORMAT);
    assert.equal(r.model.trees.roots.length, 40);
  });

  const cases: Array<[string, (a: Artifact) => unknown, RegExp]> = [
    [
      'another format',
      (a) => ({ ...a, format: 'risk-iforest/1' }),
      /^format: "risk-iforest\/1" is not supported/,
    ],
    ['no trees', (a) => ({ ...a, trees: undefined }), /^trees: /],
    ['a repeated feature', (a) => ({ ...a, features: ['x', 'x', 'y', 'z'] }), /"x" appears twice/],
    ['a bad link', (a) => ({ ...a, link: { name: 'probit', scale: 1 } }), /^link\.name: /],
    [
      'a split on a feature the model does not have',
      (a) => ({ ...a, trees: { ...a.trees, split_feature: a.trees.split_feature!.map(() => 9) } }),
      /feature 9 outside 0\.\.3/,
    ],
    [
      'arrays of different lengths',
      (a) => ({ ...a, trees: { ...a.trees, threshold: a.trees.threshold!.slice(1) } }),
      /threshold: 559 entries, split_feature has 560/,
    ],
    [
      'a cycle',
      (a) => ({ ...a, trees: { ...a.trees, left: [0, ...a.trees.left!.slice(1)] } }),
      /node 0 is reached twice/,
    ],
    [
      'a leaf that does not exist',
      (a) => ({ ...a, trees: { ...a.trees, roots: [~100_000, ...a.trees.roots!.slice(1)] } }),
      /leaf 100000 does not exist/,
    ],
    [
      'an unknown missing type',
      (a) => ({ ...a, trees: { ...a.trees, missing: a.trees.missing!.map(() => 'null') } }),
      /^trees\.missing\.0: /,
    ],
    ['not an object', () => [1, 2], /^artifact: /],
  ];
  for (const [what, change, expected] of cases) {
    test(`refused: ${what}`, () => {
      const errors = errorsOf(change(good()));
      assert.match(errors[0] ?? '', expected, errors.join('; '));
    });
  }

  test('a file that is not JSON, or names a feature the service cannot compute, is one clear error', () => {
    const bad = (text: string): RiskError => {
      try {
        fraudModelFromJson(text, 'm.json');
      } catch (err) {
        assert.ok(err instanceof RiskError);
        return err;
      }
      assert.fail('accepted');
    };
    assert.equal(bad('{"format": ').message, 'm.json: not valid JSON');
    const a = good();
    a.features = ['log_amount', 'account.count_1h', 'attributes.score', 'colour'];
    assert.match(
      bad(JSON.stringify(a)).message,
      /^fraud model artifact m\.json does not fit this service: unknown feature "colour"/,
    );
  });
});
