/**
 * One conformance suite for every RulesetStore: the memory and the embedded SQLite stores run it
 * as unit tests, the PostgreSQL store against the real server (integration).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../helpers/fakes.ts';
import { isRiskError } from '../../src/domain/errors.ts';
import { rulesetHash } from '../../src/domain/rules/hash.ts';
import type { RiskRule } from '../../src/domain/rules/types.ts';
import type { PublishInput, RulesetStore } from '../../src/pipeline/ruleset-store.ts';

export type RulesetStoreFactory = () => Promise<{
  store: RulesetStore;
  close: () => Promise<void>;
}>;

export function ruleOf(name: string, score = 10): RiskRule {
  return {
    name,
    conditions: { all: [{ fact: 'amount', operator: 'greaterThanInclusive', value: 0 }] },
    event: { type: 'risk', params: { score } },
  };
}

export function publishInput(
  names: string[],
  over: Partial<PublishInput> = {},
): Omit<PublishInput, 'expectedActive'> & Partial<PublishInput> {
  const rules = names.map((n) => ruleOf(n));
  return {
    rules,
    content_hash: rulesetHash(rules),
    author: 'alice',
    comment: `rules ${names.join(',')}`,
    source: 'api',
    ...over,
  };
}

export function rulesetStoreConformance(name: string, make: RulesetStoreFactory): void {
  describe(`RulesetStore conformance: ${name}`, () => {
    async function withStore(fn: (s: RulesetStore) => Promise<void>): Promise<void> {
      const { store, close } = await make();
      try {
        await fn(store);
      } finally {
        await close();
      }
    }

    test('an empty store has no active version; seeding writes version 1 once', () =>
      withStore(async (s) => {
        assert.equal(await s.active(), null);
        assert.equal(await s.activeVersion(), null);
        const seeded = await s.seedIfEmpty(publishInput(['a'], { source: 'seed' }));
        assert.equal(seeded?.version, 1);
        assert.equal(seeded?.source, 'seed');
        assert.equal(await s.seedIfEmpty(publishInput(['b'], { source: 'seed' })), null);
        const active = await s.active();
        assert.deepEqual(active?.rules, [ruleOf('a')]);
        assert.equal(active?.rule_count, 1);
        assert.equal(await s.activeVersion(), 1);
      }));

    test('publish adds an immutable numbered version and activates it; audit records it', () =>
      withStore(async (s) => {
        await s.seedIfEmpty(publishInput(['a'], { source: 'seed' }));
        const r = await s.publish(publishInput(['a', 'b'], { author: 'bob', comment: 'add b' }));
        assert.equal(r.changed, true);
        assert.equal(r.active.version, 2);
        assert.equal(r.active.author, 'bob');
        assert.equal(r.active.comment, 'add b');
        assert.match(r.active.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        assert.equal(await s.activeVersion(), 2);
        // Version 1 is unchanged.
        assert.deepEqual((await s.get(1))?.rules, [ruleOf('a')]);
        const list = await s.list(10);
        assert.deepEqual(
          list.map((v) => [v.version, v.active]),
          [
            [2, true],
            [1, false],
          ],
        );
        assert.equal('rules' in (list[0] ?? {}), false);
        const audit = await s.audit(10);
        assert.deepEqual(
          audit.map((e) => [e.action, e.version, e.from_version, e.actor]),
          [
            ['publish', 2, 1, 'bob'],
            ['seed', 1, null, 'alice'],
          ],
        );
      }));

    test('publishing the active content again writes nothing', () =>
      withStore(async (s) => {
        await s.seedIfEmpty(publishInput(['a'], { source: 'seed' }));
        const r = await s.publish(publishInput(['a']));
        assert.equal(r.changed, false);
        assert.equal(r.active.version, 1);
        assert.equal((await s.list(10)).length, 1);
        assert.equal((await s.audit(10)).length, 1);
      }));

    test('expectedActive refuses a publish based on a stale version', () =>
      withStore(async (s) => {
        await s.seedIfEmpty(publishInput(['a'], { source: 'seed' }));
        await s.publish(publishInput(['b']));
        await assert.rejects(s.publish({ ...publishInput(['c']), expectedActive: 1 }), {
          code: 'RISK_ERR_CONFLICT',
        });
        assert.equal(await s.activeVersion(), 2);
        const ok = await s.publish({ ...publishInput(['c']), expectedActive: 2 });
        assert.equal(ok.active.version, 3);
      }));

    test('rollback moves the pointer: to a named version, or back to the previous one', () =>
      withStore(async (s) => {
        await s.seedIfEmpty(publishInput(['a'], { source: 'seed' }));
        await s.publish(publishInput(['b']));
        await s.publish(publishInput(['c']));
        const back = await s.rollback({ actor: 'carol', comment: 'undo c' });
        assert.equal(back.active.version, 2);
        assert.equal(back.from, 3);
        assert.equal(await s.activeVersion(), 2);
        const named = await s.rollback({ to: 1, actor: 'carol', comment: 'to the seed' });
        assert.equal(named.active.version, 1);
        assert.deepEqual(named.active.rules, [ruleOf('a')]);
        // No version was added or changed by rolling back.
        assert.equal((await s.list(10)).length, 3);
        const audit = await s.audit(2);
        assert.deepEqual(
          audit.map((e) => [e.action, e.version, e.from_version, e.actor, e.comment]),
          [
            ['rollback', 1, 2, 'carol', 'to the seed'],
            ['rollback', 2, 3, 'carol', 'undo c'],
          ],
        );
        // A publish after a rollback takes the next free number.
        assert.equal((await s.publish(publishInput(['d']))).active.version, 4);
      }));

    test('rollback refuses unknown, active and missing targets and changes nothing', () =>
      withStore(async (s) => {
        await s.seedIfEmpty(publishInput(['a'], { source: 'seed' }));
        await assert.rejects(s.rollback({ actor: 'x', comment: '' }), {
          code: 'RISK_ERR_NOT_FOUND',
        });
        await s.publish(publishInput(['b']));
        await assert.rejects(s.rollback({ to: 9, actor: 'x', comment: '' }), {
          code: 'RISK_ERR_NOT_FOUND',
        });
        await assert.rejects(s.rollback({ to: 2, actor: 'x', comment: '' }), {
          code: 'RISK_ERR_CONFLICT',
        });
        assert.equal(await s.activeVersion(), 2);
        assert.equal((await s.audit(10)).length, 2);
      }));

    test('watchers hear every change with the new active version', () =>
      withStore(async (s) => {
        await s.seedIfEmpty(publishInput(['a'], { source: 'seed' }));
        const heard: Array<number | null> = [];
        const stop = await s.watch((v) => heard.push(v));
        await s.publish(publishInput(['b']));
        await s.rollback({ actor: 'x', comment: '' });
        await waitFor(() => heard.length >= 2, 30_000, 'both changes heard');
        await stop();
        assert.deepEqual(heard, [2, 1]);
      }));

    test('concurrent publishes get distinct consecutive versions', () =>
      withStore(async (s) => {
        await s.seedIfEmpty(publishInput(['a'], { source: 'seed' }));
        const results = await Promise.all(
          ['p', 'q', 'r', 's', 't'].map((n) => s.publish(publishInput([n]))),
        );
        assert.deepEqual(
          results.map((r) => r.active.version).sort((x, y) => x - y),
          [2, 3, 4, 5, 6],
        );
        assert.equal(await s.activeVersion(), 6);
      }));

    test('rules keep their JSON exactly as published', () =>
      withStore(async (s) => {
        const rule = {
          name: 'ordered',
          priority: 5,
          event: { type: 'risk' as const, params: { score: 1, description: 'é ✓ "q"' } },
          conditions: { any: [{ value: 1, operator: 'equal', fact: 'amount' }] },
        };
        await s.seedIfEmpty({
          ...publishInput([]),
          rules: [rule],
          content_hash: rulesetHash([rule]),
        });
        const got = (await s.active())?.rules[0];
        assert.equal(JSON.stringify(got), JSON.stringify(rule));
      }));

    const codeOf = (err: unknown) => (isRiskError(err) ? err.code : String(err));

    test('a proposal waits; another person approves it as a new version; the audit says who', () =>
      withStore(async (s) => {
        await s.seedIfEmpty(publishInput(['a'], { source: 'seed' }));
        const { source: _s, ...proposed } = publishInput(['a', 'b'], { author: 'ana' });
        const p = await s.propose(proposed);
        assert.ok(p);
        assert.equal(p.status, 'pending');
        assert.equal(p.expected_active_version, 1);
        assert.deepEqual(p.rules, [ruleOf('a'), ruleOf('b')]);
        assert.equal(await s.activeVersion(), 1, 'nothing published yet');
        assert.equal(
          await s.propose({ ...publishInput(['a']), author: 'ana' }),
          null,
          'equal to active',
        );
        await assert.rejects(
          s.approve({ id: p.id, actor: 'ana', comment: '' }),
          (err) => codeOf(err) === 'RISK_ERR_FORBIDDEN',
        );
        const { proposal, active } = await s.approve({ id: p.id, actor: 'pia', comment: 'ok' });
        assert.equal(active.version, 2);
        assert.equal(active.author, 'ana');
        assert.deepEqual(active.rules, [ruleOf('a'), ruleOf('b')]);
        assert.equal(await s.activeVersion(), 2);
        assert.deepEqual(
          [proposal.status, proposal.decided_by, proposal.decision_comment, proposal.version],
          ['approved', 'pia', 'ok', 2],
        );
        assert.match(proposal.decided_at ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        await assert.rejects(
          s.approve({ id: p.id, actor: 'pia', comment: '' }),
          (err) => codeOf(err) === 'RISK_ERR_CONFLICT',
        );
        const audit = await s.audit(3);
        assert.deepEqual(
          audit.map((e) => [e.action, e.version, e.from_version, e.proposal_id, e.actor]),
          [
            ['approve', 2, 1, p.id, 'pia'],
            ['propose', null, null, p.id, 'ana'],
            ['seed', 1, null, null, 'alice'],
          ],
        );
        // Undo after an approval returns to the version before it.
        const back = await s.rollback({ actor: 'pia', comment: '' });
        assert.equal(back.active.version, 1);
      }));

    test('a rejected proposal publishes nothing; a stale one cannot be approved', () =>
      withStore(async (s) => {
        await s.seedIfEmpty(publishInput(['a'], { source: 'seed' }));
        const one = await s.propose({ ...publishInput(['x']), author: 'ana' });
        const two = await s.propose({ ...publishInput(['y']), author: 'ana' });
        assert.ok(one && two);
        const rejected = await s.reject({ id: one.id, actor: 'pia', comment: 'no: too broad' });
        assert.deepEqual(
          [rejected.status, rejected.decided_by, rejected.decision_comment, rejected.version],
          ['rejected', 'pia', 'no: too broad', null],
        );
        await assert.rejects(
          s.approve({ id: one.id, actor: 'pia', comment: '' }),
          (err) => codeOf(err) === 'RISK_ERR_CONFLICT',
        );
        await s.publish(publishInput(['z'], { author: 'pia' }));
        await assert.rejects(
          s.approve({ id: two.id, actor: 'pia', comment: '' }),
          (err) => codeOf(err) === 'RISK_ERR_CONFLICT',
        );
        assert.equal((await s.proposal(two.id))?.status, 'pending');
        await assert.rejects(
          s.approve({ id: 999, actor: 'pia', comment: '' }),
          (err) => codeOf(err) === 'RISK_ERR_NOT_FOUND',
        );
        assert.equal(await s.proposal(999), null);
        await assert.rejects(
          s.propose({ ...publishInput(['w']), author: 'ana', expectedActive: 1 }),
          (err) => codeOf(err) === 'RISK_ERR_CONFLICT',
        );
        assert.deepEqual(
          (await s.proposals(10)).map((p) => [p.id, p.status]),
          [
            [two.id, 'pending'],
            [one.id, 'rejected'],
          ],
        );
        assert.deepEqual(
          (await s.proposals(10, 'pending')).map((p) => p.id),
          [two.id],
        );
        assert.equal('rules' in ((await s.proposals(1))[0] ?? {}), false);
        const audit = await s.audit(2);
        assert.deepEqual(
          audit.map((e) => [e.action, e.version, e.actor]),
          [
            ['publish', 2, 'pia'],
            ['reject', null, 'pia'],
          ],
        );
      }));
  });
}
