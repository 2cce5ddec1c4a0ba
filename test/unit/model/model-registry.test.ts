import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createMemoryModelRegistryStore } from '../../../src/adapters/memory/memory-model-registry-store.ts';
import { createSqliteModelRegistryStore } from '../../../src/adapters/sqlite/sqlite-model-registry-store.ts';
import { MODEL_ROLES } from '../../../src/app/model-roles.ts';
import type { ModelRoles } from '../../../src/app/model-roles.ts';
import type { ModelArtifact } from '../../../src/domain/anomaly/artifact.ts';
import { isRiskError } from '../../../src/domain/errors.ts';
import { createLiveModels } from '../../../src/pipeline/live-models.ts';
import type { ModelRegistryStore } from '../../../src/pipeline/model-registry-store.ts';
import { createModelRegistry } from '../../../src/pipeline/model-registry.ts';
import type { ModelRoleSpec, VersionedModel } from '../../../src/pipeline/model-roles.ts';
import { artifactDetails } from '../../../src/pipeline/model-roles.ts';
import type { ShadowObservation } from '../../../src/pipeline/shadow-models.ts';
import { createShadowScorer } from '../../../src/pipeline/shadow-models.ts';
import { modelRegistryStoreConformance } from '../../conformance/model-registry-store.ts';
import { SHIPPED_MODEL } from '../../helpers/anomaly.ts';
import { waitFor } from '../../helpers/fakes.ts';
import { createThrowawaySqlite } from '../../helpers/sqlite.ts';
import { makeTx } from '../../helpers/tx.ts';

modelRegistryStoreConformance('memory', () =>
  Promise.resolve({ store: createMemoryModelRegistryStore(), close: () => Promise.resolve() }),
);

// The embedded default: a real SQLite file per test.
modelRegistryStoreConformance('sqlite', () => {
  const s = createThrowawaySqlite();
  const store = createSqliteModelRegistryStore(s.db);
  return Promise.resolve({
    store,
    close: async () => {
      await store.close();
      s.drop();
    },
  });
});

const silent = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silent,
};

/** The shipped artifact under another version, with an optional edit. */
function artifact(version: string, edit?: (a: ModelArtifact) => void): ModelArtifact {
  const a = JSON.parse(readFileSync(SHIPPED_MODEL, 'utf8')) as ModelArtifact;
  a.version = version;
  edit?.(a);
  return a;
}

const roles = MODEL_ROLES as unknown as Record<string, ModelRoleSpec<VersionedModel>>;

async function registryOver(store: ModelRegistryStore = createMemoryModelRegistryStore()) {
  const live = await createLiveModels<ModelRoles>({
    store,
    roles: MODEL_ROLES,
    logger: silent,
    pollIntervalMs: 60_000,
  });
  const registry = createModelRegistry({
    store,
    live,
    roles,
  });
  return { store, live, registry };
}

const lives: Array<{ close(): Promise<void> }> = [];
after(() => Promise.all(lives.map((l) => l.close())));

describe('artifact problems as error details', () => {
  test('each "path: message" line becomes a JSON pointer and its message', () => {
    assert.deepEqual(
      artifactDetails([
        'trees.node_counts: 3 trees, params.trees says 100',
        'artifact: Invalid input',
        'format: "x" is not supported; expected risk-iforest/1',
        'a line without a path',
      ]),
      [
        { field: '/trees/node_counts', message: '3 trees, params.trees says 100' },
        { field: '', message: 'Invalid input' },
        { field: '/format', message: '"x" is not supported; expected risk-iforest/1' },
        { field: '', message: 'a line without a path' },
      ],
    );
  });
});

describe('model registry use cases', () => {
  test('an upload is validated in full, routed to its role by format, and acts nowhere until promoted', async () => {
    const { live, registry } = await registryOver();
    lives.push(live);
    assert.equal(live.source('anomaly').current(), null, 'an empty registry has no model');
    const { model, created } = await registry.upload({
      artifact: artifact('2.0.0'),
      actor: 'pia',
      comment: 'retrained',
    });
    assert.deepEqual(
      [created, model.role, model.version, model.seq],
      [true, 'anomaly', 'tx-iforest-2.0.0', 1],
    );
    assert.match(model.sha256, /^[0-9a-f]{64}$/);
    assert.equal(live.source('anomaly').current(), null);
    await registry.promote({ id: model.id, actor: 'pia', comment: '' });
    assert.equal(live.source('anomaly').current()?.version, 'tx-iforest-2.0.0');
  });

  test('bad artifacts are refused with a message and a pointer per problem; nothing is stored', async () => {
    const { registry, store, live } = await registryOver();
    lives.push(live);
    const refused = async (input: unknown, field: string, message: RegExp) => {
      await assert.rejects(
        registry.upload({ artifact: input, actor: 'pia', comment: '' }),
        (err: unknown) => {
          assert.ok(isRiskError(err), String(err));
          assert.equal(err.code, 'RISK_ERR_VALIDATION');
          assert.match(err.message, message);
          assert.ok(
            err.details?.some((d) => d.field === field),
            `${field} in ${JSON.stringify(err.details)}`,
          );
          return true;
        },
      );
    };
    await refused({}, '/format', /names its format; this service takes risk-iforest\/1/);
    await refused([1, 2], '/format', /names its format/);
    await refused(
      { format: 'onnx/1' },
      '/format',
      /"onnx\/1" is not a model format this service takes/,
    );
    await refused(
      artifact('3', (a) => (a.params.trees = 3)),
      '/trees/node_counts',
      /invalid anomaly model artifact: 1 problem, first \/trees\/node_counts/,
    );
    await refused(
      artifact('3', (a) => (a.trees.value = a.trees.value.slice(0, 40))),
      '/trees/value',
      /expected 8 ×/,
    );
    await refused(
      artifact('3', (a) => {
        a.features[0] = 'no_such_feature';
        a.training.features[0]!.name = 'no_such_feature';
      }),
      '/features',
      /no_such_feature/,
    );
    await assert.rejects(
      registry.upload({ artifact: artifact('3'), role: 'colour', actor: 'p', comment: '' }),
      /unknown model role "colour"; roles: anomaly, fraud/,
    );
    assert.deepEqual(await store.list(undefined, 10), []);
  });

  test('the view shows each role with its active model, its shadow and its versions', async () => {
    const { registry, live } = await registryOver();
    lives.push(live);
    const a = (await registry.upload({ artifact: artifact('1'), actor: 'p', comment: '' })).model;
    const b = (await registry.upload({ artifact: artifact('2'), actor: 'p', comment: '' })).model;
    await registry.promote({ id: a.id, actor: 'p', comment: '' });
    await registry.shadow({ id: b.id, actor: 'p', comment: '' });
    const [view] = await registry.view(100);
    assert.equal(view?.role, 'anomaly');
    assert.equal(view?.format, 'risk-iforest/1');
    assert.equal(view?.active?.id, a.id);
    assert.equal(view?.shadow?.id, b.id);
    assert.deepEqual(
      view?.versions.map((v) => v.id),
      [b.id, a.id],
    );
    assert.equal(live.source('anomaly').shadow()?.version, 'tx-iforest-2');
  });
});

describe('live models', () => {
  test('a second replica on the same store follows promote, shadow and rollback (notified)', async () => {
    const store = createMemoryModelRegistryStore();
    const one = await registryOver(store);
    const other = await createLiveModels<ModelRoles>({
      store,
      roles: MODEL_ROLES,
      logger: silent,
      pollIntervalMs: 60_000,
    });
    lives.push(one.live, other);
    const src = other.source('anomaly');
    const a = (await one.registry.upload({ artifact: artifact('1'), actor: 'p', comment: '' }))
      .model;
    const b = (await one.registry.upload({ artifact: artifact('2'), actor: 'p', comment: '' }))
      .model;
    await one.registry.promote({ id: a.id, actor: 'p', comment: '' });
    await waitFor(() => src.current()?.version === 'tx-iforest-1', 5_000, 'promote seen');
    await one.registry.shadow({ id: b.id, actor: 'p', comment: '' });
    await waitFor(() => src.shadow()?.version === 'tx-iforest-2', 5_000, 'shadow seen');
    await one.registry.promote({ id: b.id, actor: 'p', comment: '' });
    await waitFor(
      () => src.current()?.version === 'tx-iforest-2' && src.shadow() === null,
      5_000,
      'promoted shadow seen',
    );
    await one.registry.rollback({ role: 'anomaly', actor: 'p', comment: '' });
    await waitFor(() => src.current()?.version === 'tx-iforest-1', 5_000, 'rollback seen');
  });

  test('without notifications, the periodic check catches up', async () => {
    const store = createMemoryModelRegistryStore();
    const deaf: ModelRegistryStore = {
      ...store,
      watch: () => Promise.resolve(() => Promise.resolve()),
    };
    const live = await createLiveModels<ModelRoles>({
      store: deaf,
      roles: MODEL_ROLES,
      logger: silent,
      pollIntervalMs: 50,
    });
    lives.push(live);
    const { registry, live: writer } = await registryOver(store);
    lives.push(writer);
    const a = (await registry.upload({ artifact: artifact('9'), actor: 'p', comment: '' })).model;
    await registry.promote({ id: a.id, actor: 'p', comment: '' });
    await waitFor(
      () => live.source('anomaly').current()?.version === 'tx-iforest-9',
      5_000,
      'poll found the promotion',
    );
  });

  test('a stored artifact this service cannot bind leaves the role as it was', async () => {
    const store = createMemoryModelRegistryStore();
    const { registry, live } = await registryOver(store);
    lives.push(live);
    const a = (await registry.upload({ artifact: artifact('1'), actor: 'p', comment: '' })).model;
    await registry.promote({ id: a.id, actor: 'p', comment: '' });
    // Written around the registry's validation, as an older service with other features might.
    const bad = JSON.stringify(artifact('2', (x) => (x.params.trees = 3)));
    const { model } = await store.upload({
      role: 'anomaly',
      version: 'tx-iforest-2',
      format: 'risk-iforest/1',
      artifact: bad,
      sha256: 'x'.repeat(64),
      actor: 'p',
      comment: '',
      source: 'api',
    });
    await store.promote({ id: model.id, actor: 'p', comment: '' });
    await live.refresh();
    assert.equal(live.source('anomaly').current()?.version, 'tx-iforest-1');
  });
});

describe('shadow scoring', () => {
  test('scores each queued transaction with the shadow after the current turn; counts disagreements by each threshold', async () => {
    const { registry, live } = await registryOver();
    lives.push(live);
    const a = (await registry.upload({ artifact: artifact('1'), actor: 'p', comment: '' })).model;
    // The same trees with a threshold of 0: the shadow finds everything unusual.
    const b = (
      await registry.upload({
        artifact: artifact('2', (x) => (x.threshold.score = 0)),
        actor: 'p',
        comment: '',
      })
    ).model;
    await registry.promote({ id: a.id, actor: 'p', comment: '' });
    const seen: ShadowObservation[] = [];
    const source = live.source('anomaly');
    const shadows = createShadowScorer({
      roles: [{ role: 'anomaly', source, spec: roles.anomaly! }],
      onScore: (o) => seen.push(o),
      logger: silent,
    });
    const tx = makeTx();
    const features = { 'account.count_1m': 1, 'account.count_24h': 1 };
    const activeScore = source.current()?.score(tx, features) ?? null;
    shadows.observe({ transaction: tx, features, anomaly_score: activeScore });
    shadows.drain();
    assert.equal(seen.length, 0, 'no shadow: nothing scored');

    await registry.shadow({ id: b.id, actor: 'p', comment: '' });
    shadows.observe({ transaction: tx, features, anomaly_score: activeScore });
    assert.equal(seen.length, 0, 'queued, not scored on the caller’s turn');
    await waitFor(() => seen.length === 1, 5_000, 'shadow scored');
    const [o] = seen;
    assert.equal(o?.role, 'anomaly');
    assert.equal(o?.version, 'tx-iforest-2');
    assert.equal(o?.score, activeScore, 'the same trees give the same score');
    // The active threshold (about 0.6) does not find this ordinary transaction unusual.
    assert.ok(activeScore !== null && activeScore < (source.current()?.meta.threshold.score ?? 0));
    assert.equal(o?.disagrees, true);

    shadows.observe({
      transaction: tx,
      features,
      anomaly_score: null,
      response: { degraded_reasons: ['velocity_unavailable'] } as never,
    });
    shadows.drain();
    assert.equal(seen.length, 1, 'no features: not scored, as the active model is not');
    shadows.close();
  });

  test('a full queue drops samples (and says so) instead of growing', async () => {
    const { registry, live } = await registryOver();
    lives.push(live);
    const a = (await registry.upload({ artifact: artifact('1'), actor: 'p', comment: '' })).model;
    const b = (await registry.upload({ artifact: artifact('2'), actor: 'p', comment: '' })).model;
    await registry.promote({ id: a.id, actor: 'p', comment: '' });
    await registry.shadow({ id: b.id, actor: 'p', comment: '' });
    let dropped = 0;
    let scored = 0;
    const shadows = createShadowScorer({
      roles: [{ role: 'anomaly', source: live.source('anomaly'), spec: roles.anomaly! }],
      onScore: () => (scored += 1),
      onDropped: () => (dropped += 1),
      maxQueued: 3,
      logger: silent,
    });
    for (let i = 0; i < 5; i++)
      shadows.observe({ transaction: makeTx(), features: {}, anomaly_score: 0.5 });
    shadows.drain();
    assert.deepEqual([scored, dropped], [3, 2]);
    shadows.close();
  });
});
