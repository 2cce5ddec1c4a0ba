import { RiskError } from '../../domain/errors.ts';
import type {
  RulesetAuditEntry,
  RulesetProposal,
  RulesetStore,
  RulesetVersion,
} from '../../pipeline/ruleset-store.ts';
import {
  proposalRefusals,
  rollbackRefusals,
  staleActiveVersion,
} from '../../pipeline/ruleset-store.ts';

/**
 * Ruleset versions in this process only (EMBEDDED_STORE=memory): the same semantics as the
 * PostgreSQL store, checked by the same conformance suite, gone at exit.
 */
export function createMemoryRulesetStore(now: () => Date = () => new Date()): RulesetStore {
  const versions: RulesetVersion[] = [];
  const audit: RulesetAuditEntry[] = [];
  const proposals: RulesetProposal[] = [];
  const watchers = new Set<(version: number | null) => void>();
  let active: number | null = null;

  const clone = <T>(v: T): T => structuredClone(v);

  function record(entry: Omit<RulesetAuditEntry, 'id' | 'at'>): void {
    audit.push({ id: audit.length + 1, ...entry, at: now().toISOString() });
  }

  function activate(
    version: number,
    action: RulesetAuditEntry['action'],
    from: number | null,
    actor: string,
    comment: string,
    proposalId: number | null = null,
  ): void {
    active = version;
    record({ action, version, from_version: from, proposal_id: proposalId, actor, comment });
    // After the caller's promise settles, as a NOTIFY arrives after COMMIT.
    for (const w of watchers) queueMicrotask(() => w(version));
  }

  function insert(
    input: Parameters<RulesetStore['seedIfEmpty']>[0],
    action: 'seed' | 'publish' | 'approve',
    approval?: { proposalId: number; actor: string; comment: string },
  ): RulesetVersion {
    const v: RulesetVersion = {
      version: versions.length + 1,
      rules: clone(input.rules),
      rule_count: input.rules.length,
      content_hash: input.content_hash,
      author: input.author,
      comment: input.comment,
      source: input.source,
      created_at: now().toISOString(),
    };
    versions.push(v);
    if (approval === undefined) activate(v.version, action, active, input.author, input.comment);
    else activate(v.version, action, active, approval.actor, approval.comment, approval.proposalId);
    return clone(v);
  }

  const find = (version: number) => versions[version - 1] ?? null;

  function pending(id: number): RulesetProposal {
    const p = proposals[id - 1];
    if (p === undefined) throw proposalRefusals.unknown(id);
    if (p.status !== 'pending') throw proposalRefusals.decided(p);
    return p;
  }

  const settle = <T>(fn: () => T): Promise<T> => {
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  };

  return {
    active: () => Promise.resolve(active === null ? null : clone(find(active))),
    activeVersion: () => Promise.resolve(active),
    seedIfEmpty: (input) => Promise.resolve(versions.length > 0 ? null : insert(input, 'seed')),
    publish(input) {
      if (input.expectedActive !== undefined && input.expectedActive !== active) {
        return Promise.reject(staleActiveVersion(active, input.expectedActive));
      }
      const current = active === null ? null : find(active);
      if (current !== null && current.content_hash === input.content_hash)
        return Promise.resolve({ active: clone(current), changed: false });
      return Promise.resolve({ active: insert(input, 'publish'), changed: true });
    },
    rollback(input) {
      if (active === null)
        return Promise.reject(new RiskError('RISK_ERR_NOT_FOUND', 'no ruleset is active'));
      const current = active;
      let to = input.to;
      if (to === undefined) {
        const last = audit.findLast((e) => e.version === current);
        if (last?.from_version == null)
          return Promise.reject(rollbackRefusals.noEarlierVersion(current));
        to = last.from_version;
      }
      if (to === current) return Promise.reject(rollbackRefusals.alreadyActive(to));
      const target = find(to);
      if (target === null) return Promise.reject(rollbackRefusals.noSuchVersion(to));
      activate(to, 'rollback', current, input.actor, input.comment);
      return Promise.resolve({ active: clone(target), from: current });
    },
    get: (version) => Promise.resolve(clone(find(version))),
    list: (limit) =>
      Promise.resolve(
        versions
          .slice(-limit)
          .reverse()
          .map(({ rules: _rules, ...rest }) => ({ ...rest, active: rest.version === active })),
      ),
    audit: (limit) => Promise.resolve(clone(audit.slice(-limit).reverse())),
    propose: (input) =>
      settle(() => {
        if (input.expectedActive !== undefined && input.expectedActive !== active)
          throw staleActiveVersion(active, input.expectedActive);
        const current = active === null ? null : find(active);
        if (current !== null && current.content_hash === input.content_hash) return null;
        const p: RulesetProposal = {
          id: proposals.length + 1,
          rules: clone(input.rules),
          rule_count: input.rules.length,
          content_hash: input.content_hash,
          author: input.author,
          comment: input.comment,
          expected_active_version: input.expectedActive ?? active,
          status: 'pending',
          created_at: now().toISOString(),
          decided_by: null,
          decided_at: null,
          decision_comment: null,
          version: null,
        };
        proposals.push(p);
        record({
          action: 'propose',
          version: null,
          from_version: null,
          proposal_id: p.id,
          actor: p.author,
          comment: p.comment,
        });
        return clone(p);
      }),
    proposals: (limit, status) =>
      Promise.resolve(
        proposals
          .filter((p) => status === undefined || p.status === status)
          .slice(-limit)
          .reverse()
          .map(({ rules: _rules, ...rest }) => clone(rest)),
      ),
    proposal: (id) => Promise.resolve(clone(proposals[id - 1] ?? null)),
    approve: (input) =>
      settle(() => {
        const p = pending(input.id);
        if (p.author === input.actor) throw proposalRefusals.ownProposal(p);
        if (p.expected_active_version !== active)
          throw staleActiveVersion(active, p.expected_active_version ?? 0);
        const v = insert(
          {
            rules: p.rules,
            content_hash: p.content_hash,
            author: p.author,
            comment: p.comment,
            source: 'api',
          },
          'approve',
          { proposalId: p.id, actor: input.actor, comment: input.comment },
        );
        Object.assign(p, {
          status: 'approved',
          decided_by: input.actor,
          decided_at: now().toISOString(),
          decision_comment: input.comment,
          version: v.version,
        });
        return { proposal: clone(p), active: v };
      }),
    reject: (input) =>
      settle(() => {
        const p = pending(input.id);
        Object.assign(p, {
          status: 'rejected',
          decided_by: input.actor,
          decided_at: now().toISOString(),
          decision_comment: input.comment,
        });
        record({
          action: 'reject',
          version: null,
          from_version: null,
          proposal_id: p.id,
          actor: input.actor,
          comment: input.comment,
        });
        return clone(p);
      }),
    watch(onChange) {
      watchers.add(onChange);
      return Promise.resolve(() => {
        watchers.delete(onChange);
        return Promise.resolve();
      });
    },
    ping: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}
