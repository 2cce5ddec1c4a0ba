/**
 * One conformance suite for every ModelRegistryStore: the memory and the embedded SQLite stores
 * run it as unit tests, the PostgreSQL store against the real server (integration).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isRiskError } from '../../src/domain/errors.ts';
import type { ModelRegistryStore, UploadInput } from '../../src/pipeline/model-registry-store.ts';
import { sha256Hex } from '../../src/pipeline/model-registry.ts';
import { waitFor } from '../helpers/fakes.ts';

export type ModelRegistryStoreFactory = () => Promise<{
  store: ModelRegistryStore;
  close: () => Promise<void>;
}>;

/** A stand-in artifact: the stores keep text and never parse it. */
export function uploadOf(version: string, over: Partial<UploadInput> = {}): UploadInput {
  const artifact = JSON.stringify({ format: 'risk-iforest/1', name: 'm', version });
  return {
    role: 'anomaly',
    version: `m-${version}`,
    format: 'risk-iforest/1',
    artifact,
    sha256: sha256Hex(artifact),
    actor: 'alice',
    comment: `model ${version}`,
    source: 'api',
    ...over,
  };
}

const refusedWith = (code: string, pattern: RegExp) => (err: unknown) => {
  assert.ok(isRiskError(err), String(err));
  assert.equal(err.code, code);
  assert.match(err.message, pattern);
  return true;
};

export function modelRegistryStoreConformance(
  name: string,
  factory: ModelRegistryStoreFactory,
): void {
  describe(`model registry store conformance: ${name}`, () => {
    async function withStore(fn: (s: ModelRegistryStore) => Promise<void>): Promise<void> {
      const { store, close } = await factory();
      try {
        await fn(store);
      } finally {
        await close();
      }
    }

    test('seeds a role once, active at once; a second seed stores nothing', () =>
      withStore(async (s) => {
        const seeded = await s.seedIfEmpty(uploadOf('1', { source: 'seed', actor: 'model-file' }));
        assert.ok(seeded !== null);
        assert.equal(seeded.seq, 1);
        assert.equal(seeded.source, 'seed');
        assert.equal(await s.seedIfEmpty(uploadOf('2')), null);
        assert.deepEqual(await s.pointers(), [
          { role: 'anomaly', active: seeded.id, shadow: null },
        ]);
        const [audit] = await s.audit(undefined, 10);
        assert.equal(audit?.action, 'seed');
        assert.equal(audit?.actor, 'model-file');
      }));

    test('an upload is stored with its artifact and acts nowhere; the same artifact again is not stored twice', () =>
      withStore(async (s) => {
        const seed = await s.seedIfEmpty(uploadOf('1'));
        const up = await s.upload(uploadOf('2', { actor: 'bob' }));
        assert.equal(up.created, true);
        assert.equal(up.model.seq, 2);
        assert.equal(up.model.uploaded_by, 'bob');
        assert.match(up.model.uploaded_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        const stored = await s.get(up.model.id);
        assert.equal(stored?.artifact, uploadOf('2').artifact);
        assert.equal(stored?.bytes, Buffer.byteLength(uploadOf('2').artifact));
        const again = await s.upload(uploadOf('2', { actor: 'carol' }));
        assert.deepEqual(again, { model: up.model, created: false });
        assert.deepEqual(await s.pointers(), [{ role: 'anomaly', active: seed?.id, shadow: null }]);
        assert.deepEqual(
          (await s.list('anomaly', 10)).map((m) => m.version),
          ['m-2', 'm-1'],
        );
        assert.equal(await s.get(999_999), null);
      }));

    test('shadow, then promote the shadow: it acts and the shadow slot is empty; rollback undoes it', () =>
      withStore(async (s) => {
        const one = await s.seedIfEmpty(uploadOf('1'));
        assert.ok(one !== null);
        const two = (await s.upload(uploadOf('2'))).model;
        const shadowed = await s.shadow({ id: two.id, actor: 'bob', comment: 'try it' });
        assert.equal(shadowed.from, null);
        assert.deepEqual(await s.pointers(), [{ role: 'anomaly', active: one.id, shadow: two.id }]);
        const promoted = await s.promote({ id: two.id, actor: 'bob', comment: 'good' });
        assert.equal(promoted.from, one.id);
        assert.deepEqual(await s.pointers(), [{ role: 'anomaly', active: two.id, shadow: null }]);
        const back = await s.rollback({ role: 'anomaly', actor: 'carol', comment: 'oops' });
        assert.deepEqual([back.model.id, back.from], [one.id, two.id]);
        assert.deepEqual(await s.pointers(), [{ role: 'anomaly', active: one.id, shadow: null }]);
        assert.deepEqual(
          (await s.audit('anomaly', 10)).map((e) => [
            e.action,
            e.model_id,
            e.from_model_id,
            e.actor,
          ]),
          [
            ['rollback', one.id, two.id, 'carol'],
            ['promote', two.id, one.id, 'bob'],
            ['shadow', two.id, null, 'bob'],
            ['upload', two.id, null, 'alice'],
            ['seed', one.id, null, 'alice'],
          ],
        );
        // Undo of the rollback goes back to two; the seed has nothing before it.
        assert.equal(
          (await s.rollback({ role: 'anomaly', actor: 'c', comment: '' })).model.id,
          two.id,
        );
        await s.rollback({ role: 'anomaly', to: one.id, actor: 'c', comment: '' });
        await s.rollback({ role: 'anomaly', actor: 'c', comment: '' });
        await s.rollback({ role: 'anomaly', actor: 'c', comment: '' });
        assert.deepEqual(await s.pointers(), [{ role: 'anomaly', active: one.id, shadow: null }]);
      }));

    test('refusals: unknown ids, promoting the active model, shadowing the active one, no shadow to clear, rollback without history or to another role', () =>
      withStore(async (s) => {
        await assert.rejects(
          s.rollback({ role: 'anomaly', actor: 'a', comment: '' }),
          refusedWith('RISK_ERR_NOT_FOUND', /no active model/),
        );
        const one = await s.seedIfEmpty(uploadOf('1'));
        assert.ok(one !== null);
        await assert.rejects(
          s.promote({ id: 424_242, actor: 'a', comment: '' }),
          refusedWith('RISK_ERR_NOT_FOUND', /model 424242 does not exist/),
        );
        await assert.rejects(
          s.promote({ id: one.id, actor: 'a', comment: '' }),
          refusedWith('RISK_ERR_CONFLICT', /already the active anomaly model/),
        );
        await assert.rejects(
          s.shadow({ id: one.id, actor: 'a', comment: '' }),
          refusedWith('RISK_ERR_CONFLICT', /is the active anomaly model/),
        );
        await assert.rejects(
          s.clearShadow({ role: 'anomaly', actor: 'a', comment: '' }),
          refusedWith('RISK_ERR_NOT_FOUND', /no shadow model/),
        );
        await assert.rejects(
          s.rollback({ role: 'anomaly', actor: 'a', comment: '' }),
          refusedWith('RISK_ERR_NOT_FOUND', /no earlier anomaly model/),
        );
        const fraud = (await s.upload(uploadOf('f1', { role: 'fraud', format: 'risk-gbdt/1' })))
          .model;
        assert.equal(fraud.seq, 1, 'sequences count per role');
        await assert.rejects(
          s.rollback({ role: 'anomaly', to: fraud.id, actor: 'a', comment: '' }),
          refusedWith('RISK_ERR_VALIDATION', /is a fraud model, not anomaly/),
        );
        const two = (await s.upload(uploadOf('2'))).model;
        await s.shadow({ id: two.id, actor: 'a', comment: '' });
        await assert.rejects(
          s.shadow({ id: two.id, actor: 'a', comment: '' }),
          refusedWith('RISK_ERR_CONFLICT', /already the anomaly shadow/),
        );
        assert.deepEqual(await s.clearShadow({ role: 'anomaly', actor: 'b', comment: '' }), {
          from: two.id,
        });
        assert.equal((await s.audit('anomaly', 1))[0]?.action, 'unshadow');
        assert.deepEqual(await s.pointers(), [
          { role: 'anomaly', active: one.id, shadow: null },
          { role: 'fraud', active: null, shadow: null },
        ]);
      }));

    test('roles are independent: a fraud shadow leaves the anomaly role alone', () =>
      withStore(async (s) => {
        const a = await s.seedIfEmpty(uploadOf('1'));
        const f = (await s.upload(uploadOf('f1', { role: 'fraud', format: 'risk-gbdt/1' }))).model;
        await s.shadow({ id: f.id, actor: 'a', comment: '' });
        assert.deepEqual(await s.pointers(), [
          { role: 'anomaly', active: a?.id, shadow: null },
          { role: 'fraud', active: null, shadow: f.id },
        ]);
        assert.deepEqual(
          (await s.list('fraud', 10)).map((m) => m.id),
          [f.id],
        );
        assert.equal((await s.audit('fraud', 10)).length, 2);
      }));

    test('watchers hear every pointer change, with its role, after it is stored', () =>
      withStore(async (s) => {
        const heard: Array<string | null> = [];
        const stop = await s.watch((role) => heard.push(role));
        const one = await s.seedIfEmpty(uploadOf('1'));
        const two = (await s.upload(uploadOf('2'))).model;
        await s.shadow({ id: two.id, actor: 'a', comment: '' });
        await s.promote({ id: two.id, actor: 'a', comment: '' });
        await s.rollback({ role: 'anomaly', to: one?.id, actor: 'a', comment: '' });
        await waitFor(() => heard.length >= 4, 5_000, 'four notifications');
        assert.deepEqual(heard, ['anomaly', 'anomaly', 'anomaly', 'anomaly']);
        await stop();
      }));
  });
}
