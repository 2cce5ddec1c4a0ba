// Two real service processes share one PostgreSQL database: a publish or rollback on one is
// used by the other within 2 s, and under continuous scoring during repeated publishes no
// request fails and no response mixes rules of two versions.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RiskRule } from '../../src/domain/rules/types.ts';
import type { ThrowawayDb } from '../helpers/pg.ts';
import { createThrowawayDb } from '../helpers/pg.ts';
import type { ServiceProcess } from '../helpers/running-service.ts';
import { startService } from '../helpers/running-service.ts';
import { waitFor } from '../helpers/fakes.ts';
import { makeTx } from '../helpers/tx.ts';

const TOKEN = 'replica-test-token-0123456789';
const PROPAGATION_LIMIT_MS = 2_000;

/** Every rule of generation `g` fires on every transaction: reasons name their generation. */
function generation(g: number): RiskRule[] {
  return ['a', 'b', 'c'].map((x) => ({
    name: `gen${g}-${x}`,
    conditions: { all: [{ fact: 'amount', operator: 'greaterThanInclusive', value: 0 }] },
    event: { type: 'risk', params: { score: 1 } },
  }));
}

async function admin(base: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (res.status >= 300)
    throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** How long until `base` evaluates `version` (ms), polling its active version. */
async function timeUntilActive(base: string, version: number, since: number): Promise<number> {
  for (;;) {
    // The store's pointer is shared; what counts is the replica's own swap, which its scoring
    // answers show.
    const res = await fetch(`${base}/v1/score`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(makeTx()),
    });
    const body = (await res.json()) as { ruleset_version: string };
    if (body.ruleset_version === String(version)) return performance.now() - since;
    if (performance.now() - since > 10_000) throw new Error(`version ${version} never arrived`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

describe('rules across replicas (real PostgreSQL)', { timeout: 240_000 }, () => {
  let db: ThrowawayDb;
  const procs: ServiceProcess[] = [];
  let a = '';
  let b = '';

  before(async () => {
    db = await createThrowawayDb('replicas');
    const env = { DATABASE_URL: db.url, ADMIN_TOKEN: TOKEN };
    procs.push(...(await Promise.all([startService(env), startService(env)])));
    a = procs[0]?.url ?? '';
    b = procs[1]?.url ?? '';
  });

  after(async () => {
    for (const p of procs) {
      if (p.child.exitCode === null) {
        p.child.kill('SIGTERM');
        await p.exited;
      }
    }
    await db.drop();
  });

  test('a publish on one replica is used by the other within 2 s; a rollback likewise', async (t) => {
    const seeded = await admin(a, 'GET', '/v1/rules');
    assert.equal(seeded.version, 1, 'both replicas started on an empty database: seeded once');
    assert.equal((await admin(b, 'GET', '/v1/rules')).version, 1);

    const delays: number[] = [];
    for (let g = 1; g <= 5; g++) {
      const [from, to] = g % 2 === 1 ? [a, b] : [b, a];
      const pub = await admin(from, 'PUT', '/v1/rules', {
        rules: generation(g),
        author: 'replica-test',
      });
      const start = performance.now();
      delays.push(await timeUntilActive(to, pub.version as number, start));
    }
    const rb = await admin(b, 'POST', '/v1/rules/rollback', { version: 2, author: 'replica-test' });
    const start = performance.now();
    delays.push(await timeUntilActive(a, rb.version as number, start));
    t.diagnostic(
      `publish/rollback → other replica: p50 ${pct(delays, 50).toFixed(1)} ms, max ${Math.max(...delays).toFixed(1)} ms (${delays.length} changes)`,
    );
    for (const d of delays) assert.ok(d < PROPAGATION_LIMIT_MS, `took ${d} ms`);
  });

  test('continuous scoring during repeated publishes: no failure, no mixed versions', async (t) => {
    const tagOf = new Map<string, number>(); // ruleset version → generation of its rules
    let stop = false;
    let failures = 0;
    let mixed = 0;
    let scored = 0;
    const seenVersions = new Set<string>();
    // The versions each replica answered with, as the load saw them.
    const seenBy = new Map<string, Set<string>>([
      [a, new Set()],
      [b, new Set()],
    ]);
    const problems: string[] = [];

    const check = (
      base: string,
      body: { ruleset_version: string; reasons: Array<{ rule: string }> },
    ) => {
      seenVersions.add(body.ruleset_version);
      seenBy.get(base)?.add(body.ruleset_version);
      const gens = new Set(body.reasons.map((r) => /^gen(\d+)-/.exec(r.rule)?.[1] ?? 'other'));
      const expected = tagOf.get(body.ruleset_version);
      // Every rule of a generation fires on every transaction: a response evaluated by one
      // version names exactly that version's three rules.
      const ok =
        gens.size === 1 &&
        body.reasons.length === 3 &&
        (expected === undefined || gens.has(String(expected)));
      if (!ok) {
        mixed += 1;
        if (problems.length < 5) problems.push(JSON.stringify(body.reasons));
      }
    };

    const loop = async (base: string) => {
      while (!stop) {
        try {
          const res = await fetch(`${base}/v1/score`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(makeTx({ amount: 10 })),
          });
          if (res.status !== 200) {
            failures += 1;
            if (problems.length < 5) problems.push(`${res.status} ${await res.text()}`);
            continue;
          }
          check(base, (await res.json()) as Parameters<typeof check>[1]);
          scored += 1;
        } catch (err) {
          failures += 1;
          if (problems.length < 5) problems.push(String(err));
        }
      }
    };

    // The set active now (from the previous test) is a generation as well.
    const current = await admin(a, 'GET', '/v1/rules');
    const currentRules = current.rules as RiskRule[];
    tagOf.set(String(current.version), Number(/^gen(\d+)-/.exec(currentRules[0]!.name)?.[1]));

    const published: string[] = [];
    const loops = [a, b, a, b].map(loop);
    for (let g = 10; g < 30; g++) {
      const base = g % 2 === 0 ? a : b;
      // Record the tag before the version exists anywhere, so no response can race it.
      const next = (await admin(base, 'GET', '/v1/rules/versions?limit=1')).versions as Array<{
        version: number;
      }>;
      tagOf.set(String((next[0]?.version ?? 0) + 1), g);
      const pub = await admin(base, 'PUT', '/v1/rules', {
        rules: generation(g),
        author: 'load-test',
      });
      assert.equal(tagOf.get(String(pub.version)), g, 'no other writer took the number');
      // The next publish only once the load has been answered with this version by both
      // replicas: every swap happens under scoring, however slow the machine.
      const version = String(pub.version);
      await waitFor(
        () => [...seenBy.values()].every((seen) => seen.has(version)),
        30_000,
        `version ${version} answered by both replicas`,
      );
      published.push(version);
    }
    stop = true;
    await Promise.all(loops);
    t.diagnostic(
      `${scored} scored during 20 publishes; ${seenVersions.size} versions seen; failures ${failures}; mixed ${mixed}`,
    );
    assert.equal(failures, 0, problems.join('\n'));
    assert.equal(mixed, 0, problems.join('\n'));
    // Each of the 20 versions was evaluated by both replicas under the load (waited for above).
    assert.equal(published.length, 20);
    for (const v of published) assert.ok(seenVersions.has(v), `version ${v} seen`);
  });
});
