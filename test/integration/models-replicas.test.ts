// The model registry on a real PostgreSQL server: the store's conformance suite, and two app
// instances sharing one database (each with its own pool and LISTEN connection): a promote,
// shadow or rollback on one is used by the other within 2 s; bad uploads are a 400 with a
// message; roles are enforced; the audit names the user.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { migrate } from '../../src/adapters/postgres/migrations.ts';
import { createPgDatabase } from '../../src/adapters/postgres/pg-database.ts';
import { createPgModelRegistryStore } from '../../src/adapters/postgres/pg-model-registry-store.ts';
import type { App } from '../../src/app/build-app.ts';
import type { ModelArtifact } from '../../src/domain/anomaly/artifact.ts';
import { modelRegistryStoreConformance } from '../conformance/model-registry-store.ts';
import { SHIPPED_MODEL } from '../helpers/anomaly.ts';
import { buildTestApp, postScore } from '../helpers/app.ts';
import { waitFor } from '../helpers/fakes.ts';
import type { ThrowawayDb } from '../helpers/pg.ts';
import { createThrowawayDb } from '../helpers/pg.ts';
import { makeTx } from '../helpers/tx.ts';
import { addUser, call, errorOf, fastHasher } from '../helpers/users.ts';

const ADMIN = 'models-replicas-token-0123456789';
const PROPAGATION_LIMIT_MS = 2_000;

const made: ThrowawayDb[] = [];
after(async () => {
  for (const d of made) await d.drop();
});

modelRegistryStoreConformance('postgres server', async () => {
  const tdb = await createThrowawayDb('models');
  made.push(tdb);
  const db = createPgDatabase({ connectionString: tdb.url });
  await migrate(db);
  return { store: createPgModelRegistryStore(db), close: () => db.close() };
});

function artifact(version: string, edit?: (a: ModelArtifact) => void): ModelArtifact {
  const a = JSON.parse(readFileSync(SHIPPED_MODEL, 'utf8')) as ModelArtifact;
  a.version = version;
  edit?.(a);
  return a;
}

interface Summary {
  id: number;
  version: string;
}

describe('models across two app instances (real PostgreSQL)', { timeout: 240_000 }, () => {
  let db: ThrowawayDb;
  let a: App;
  let b: App;
  const t: Record<string, string> = {};

  before(async () => {
    db = await createThrowawayDb('model_replicas');
    made.push(db);
    const env = { DATABASE_URL: db.url, ADMIN_TOKEN: ADMIN };
    a = await buildTestApp(env, { hasher: fastHasher });
    b = await buildTestApp(env, { hasher: fastHasher });
    t.pia = await addUser(a, ADMIN, 'pia', 'publisher');
    t.vera = await addUser(a, ADMIN, 'vera', 'viewer');
  });
  after(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  const versionOn = async (app: App) =>
    (await postScore(app, makeTx({ account_id: `mr-${Math.random()}` }))).body
      .model_version as string;

  /** How long until `app` scores with `version` (ms), polling its answers. */
  async function timeUntil(app: App, version: string, since: number): Promise<number> {
    await waitFor(async () => (await versionOn(app)) === version, 10_000, `${version} arrives`);
    return performance.now() - since;
  }

  test('both instances start on the seeded shipped model; the seed is stored once', async () => {
    assert.equal(await versionOn(a), 'tx-iforest-1.1.0');
    assert.equal(await versionOn(b), 'tx-iforest-1.1.0');
    const rows = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM model_versions WHERE role = 'anomaly'",
    );
    assert.equal(rows[0]?.n, 1);
  });

  test('a promote on one instance is used by the other within 2 s; rollback too', async () => {
    const up = await call(a, 'POST', '/v1/models', { as: t.pia, body: artifact('2.0.0') });
    assert.equal(up.status, 201, JSON.stringify(up.body));
    const id = (up.body.model as Summary).id;
    assert.equal(await versionOn(b), 'tx-iforest-1.1.0', 'an upload acts nowhere');

    const shadowed = await call(a, 'POST', `/v1/models/${id}/shadow`, { as: t.pia });
    assert.equal(shadowed.status, 200, JSON.stringify(shadowed.body));
    const sawShadow = performance.now();
    await waitFor(
      async () =>
        (await b.http.inject({ method: 'GET', url: '/metrics' })).body.includes(
          'slot="shadow",model_version="tx-iforest-2.0.0"',
        ),
      10_000,
      'b shadows 2.0.0',
    );
    const shadowMs = performance.now() - sawShadow;
    assert.equal(await versionOn(b), 'tx-iforest-1.1.0', 'the shadow does not act on b');

    const started = performance.now();
    const promoted = await call(a, 'POST', `/v1/models/${id}/promote`, { as: t.pia });
    assert.equal(promoted.status, 200, JSON.stringify(promoted.body));
    const promoteMs = await timeUntil(b, 'tx-iforest-2.0.0', started);
    assert.equal(await versionOn(a), 'tx-iforest-2.0.0', 'the promoting instance swapped at once');

    const rollbackStarted = performance.now();
    const back = await call(b, 'POST', '/v1/models/rollback', {
      as: t.pia,
      body: { role: 'anomaly', comment: 'back to the shipped one' },
    });
    assert.equal(back.status, 200, JSON.stringify(back.body));
    const rollbackMs = await timeUntil(a, 'tx-iforest-1.1.0', rollbackStarted);

    process.stdout.write(
      `# propagation: shadow ${shadowMs.toFixed(0)} ms, promote ${promoteMs.toFixed(0)} ms, rollback ${rollbackMs.toFixed(0)} ms\n`,
    );
    for (const ms of [shadowMs, promoteMs, rollbackMs])
      assert.ok(ms < PROPAGATION_LIMIT_MS, `${ms} ms`);

    const audit = await call(b, 'GET', '/v1/models/audit?role=anomaly', { as: t.vera });
    assert.deepEqual(
      (audit.body.audit as Array<{ action: string; actor: string }>).map((e) => [
        e.action,
        e.actor,
      ]),
      [
        ['rollback', 'pia'],
        ['promote', 'pia'],
        ['shadow', 'pia'],
        ['upload', 'pia'],
        ['seed', 'model-file'],
      ],
    );
  });

  test('a bad upload is a 400 with a message and the place; nothing is stored', async () => {
    const before = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM model_versions');
    const r = await call(b, 'POST', '/v1/models', {
      as: t.pia,
      body: artifact('3.0.0', (x) => (x.normalisation.c_psi = 1)),
    });
    assert.equal(r.status, 400);
    const e = errorOf(r);
    assert.equal(e.code, 'RISK_ERR_VALIDATION');
    assert.match(
      e.message,
      /invalid anomaly model artifact: 1 problem, first \/normalisation\/c_psi: must be c\(\d+\)/,
    );
    assert.deepEqual(
      e.details?.map((d) => d.field),
      ['/normalisation/c_psi'],
    );
    const after = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM model_versions');
    assert.equal(after[0]?.n, before[0]?.n);
  });

  test('roles: a viewer reads and is refused changes; no credential is a 401', async () => {
    assert.equal((await call(b, 'GET', '/v1/models', { as: t.vera })).status, 200);
    const up = await call(b, 'POST', '/v1/models', { as: t.vera, body: artifact('4.0.0') });
    assert.equal(up.status, 403);
    assert.match(errorOf(up).message, /publisher/);
    assert.equal(
      (await call(b, 'POST', '/v1/models/rollback', { as: t.vera, body: { role: 'anomaly' } }))
        .status,
      403,
    );
    assert.equal((await call(b, 'POST', '/v1/models/1/promote')).status, 401);
  });
});
