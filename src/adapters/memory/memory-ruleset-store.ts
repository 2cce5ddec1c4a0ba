import { RiskError } from '../../domain/errors.ts';
import type {
  RulesetAuditEntry,
  RulesetStore,
  RulesetVersion,
} from '../../pipeline/ruleset-store.ts';
import { rollbackRefusals, staleActiveVersion } from '../../pipeline/ruleset-store.ts';

/**
 * Ruleset versions in this process only (EMBEDDED_STORE=memory): the same semantics as the
 * PostgreSQL store, checked by the same conformance suite, gone at exit.
 */
export function createMemoryRulesetStore(now: () => Date = () => new Date()): RulesetStore {
  const versions: RulesetVersion[] = [];
  const audit: RulesetAuditEntry[] = [];
  const watchers = new Set<(version: number | null) => void>();
  let active: number | null = null;

  const clone = <T>(v: T): T => structuredClone(v);

  function activate(
    version: number,
    action: RulesetAuditEntry['action'],
    from: number | null,
    actor: string,
    comment: string,
  ): void {
    active = version;
    audit.push({
      id: audit.length + 1,
      action,
      version,
      from_version: from,
      actor,
      comment,
      at: now().toISOString(),
    });
    // After the caller's promise settles, as a NOTIFY arrives after COMMIT.
    for (const w of watchers) queueMicrotask(() => w(version));
  }

  function insert(
    input: Parameters<RulesetStore['seedIfEmpty']>[0],
    action: 'seed' | 'publish',
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
    activate(v.version, action, active, input.author, input.comment);
    return clone(v);
  }

  const find = (version: number) => versions[version - 1] ?? null;

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
