import type { DecisionThresholds } from '../domain/decision.ts';
import type { ErrorDetail } from '../domain/errors.ts';
import { RiskError } from '../domain/errors.ts';
import { RULESET_POLICY } from '../domain/facts.ts';
import type { BacktestReport, ChangedPage } from '../domain/rules/backtest.ts';
import { rulesetHash } from '../domain/rules/hash.ts';
import type { RiskRule } from '../domain/rules/types.ts';
import type { RuleError } from '../domain/rules/validate.ts';
import { validateRuleset } from '../domain/rules/validate.ts';
import type { Transaction } from '../domain/transaction.ts';
import type { BacktestJob } from './backtest-job.ts';
import type { Label } from '../domain/outcomes.ts';
import type { LiveRuleset } from './live-ruleset.ts';
import type { RecentScored } from './recent-scored.ts';
import type {
  DecideInput,
  ProposalStatus,
  RulesetProposal,
  RulesetProposalSummary,
  PublishResult,
  RulesetAuditEntry,
  RulesetOrigin,
  RulesetStore,
  RulesetVersion,
  RulesetVersionSummary,
} from './ruleset-store.ts';

/** `conditions.all[0].fact` → `/conditions/all/0/fact` (a JSON pointer suffix). */
function pointer(path: string): string {
  if (path === '') return '';
  return `/${path
    .replaceAll(/\[(\d+)\]/g, '.$1')
    .split('.')
    .join('/')}`;
}

/** Ruleset problems as error details: a JSON pointer into the request body and the rule name. */
export function ruleErrorDetails(errors: readonly RuleError[], base: string): ErrorDetail[] {
  return errors.map((e) => ({
    field: e.index < 0 ? base : `${base}/${e.index}${pointer(e.path)}`,
    ...(e.rule !== undefined && { rule: e.rule }),
    message: e.message,
  }));
}

/** Validates a submitted ruleset with the service's policy; throws a 400 listing every problem. */
export function checkRuleset(input: unknown, base = '/rules'): RiskRule[] {
  const res = validateRuleset(input, RULESET_POLICY);
  if (res.ok) return res.rules;
  const details = ruleErrorDetails(res.errors, base);
  throw new RiskError(
    'RISK_ERR_VALIDATION',
    `invalid ruleset: ${res.errors.length} problem${res.errors.length === 1 ? '' : 's'}, first ${details[0]?.field ?? base}: ${details[0]?.message ?? ''}`,
    details,
  );
}

export interface BacktestInput {
  rules: unknown;
  /** Replayed in event-time order through a fresh velocity store: features among themselves. */
  transactions?: Transaction[];
  /** Otherwise the most recent scored transactions of this replica (all kept by default). */
  recent?: number;
  /**
   * Outcome labels by transaction_id (given with the transactions). Without them, recent
   * samples take their labels from the decision log.
   */
  labels?: Record<string, Label>;
  /** Which changed decisions to list (default: the first 1,000). */
  changedPage?: ChangedPage;
}

export interface BacktestResult extends BacktestReport {
  source: 'request' | 'recent';
}

export interface RulesAdminOptions {
  store: RulesetStore;
  live: LiveRuleset;
  recent: RecentScored;
  thresholds: DecisionThresholds;
  /**
   * Runs a backtest (replay and evaluation: seconds of CPU for a large one), off the event
   * loop that answers scoring calls: see app/backtest-pool.ts.
   */
  runBacktest: (job: BacktestJob) => Promise<BacktestReport>;
  /** `required`: the API proposes instead of publishing (four eyes); default `off`. */
  approval?: 'required' | 'off';
  /** The current outcome labels of these transactions (the decision log); none without it. */
  labelsOf?: (ids: readonly string[]) => Promise<Record<string, Label>>;
}

export interface RulesAdmin {
  /** RULES_APPROVAL=required: a PUT of the API is a proposal that another publisher approves. */
  readonly approvalRequired: boolean;
  active(): Promise<RulesetVersion>;
  validate(rules: unknown): { valid: true; rule_count: number; content_hash: string };
  publish(input: {
    rules: unknown;
    author: string;
    comment: string;
    source?: RulesetOrigin;
    expectedActive?: number;
    /** An empty ruleset approves everything: refused unless the caller says it means it. */
    allowEmpty?: boolean;
  }): Promise<PublishResult>;
  rollback(input: { to?: number; actor: string; comment: string }): Promise<{
    active: RulesetVersion;
    from: number;
  }>;
  versions(limit: number): Promise<RulesetVersionSummary[]>;
  version(v: number): Promise<RulesetVersion>;
  audit(limit: number): Promise<RulesetAuditEntry[]>;
  backtest(input: BacktestInput): Promise<BacktestResult>;
  /** Four-eyes publishing: stores a proposal (null when the rules equal the active ones). */
  propose(input: {
    rules: unknown;
    author: string;
    comment: string;
    expectedActive?: number;
    allowEmpty?: boolean;
  }): Promise<RulesetProposal | null>;
  proposals(limit: number, status?: ProposalStatus): Promise<RulesetProposalSummary[]>;
  proposal(id: number): Promise<RulesetProposal>;
  /** Publishes a pending proposal; its author may not (four eyes). */
  approve(input: DecideInput): Promise<{ proposal: RulesetProposal; active: RulesetVersion }>;
  reject(input: DecideInput): Promise<RulesetProposal>;
}

/**
 * The rules administration use cases (DESIGN.md §4.6) over a store. A publish is validated in
 * full before anything is written, so an invalid one leaves the active version as it was; after
 * a change, this replica swaps at once and the others on their notification.
 */
export function createRulesAdmin(opts: RulesAdminOptions): RulesAdmin {
  const { store, live } = opts;

  async function mustGet(v: number): Promise<RulesetVersion> {
    const found = await store.get(v);
    if (found === null)
      throw new RiskError('RISK_ERR_NOT_FOUND', `ruleset version ${v} does not exist`);
    return found;
  }

  /** The checks of a publish, shared with proposals: every problem listed, empty sets refused. */
  function checkedForPublish(input: unknown, allowEmpty: boolean | undefined): RiskRule[] {
    const rules = checkRuleset(input);
    if (rules.length === 0 && allowEmpty !== true) {
      throw new RiskError(
        'RISK_ERR_VALIDATION',
        'an empty ruleset approves every transaction; send allow_empty: true to publish it anyway',
        [{ field: '/rules', message: 'must hold at least one rule (or set allow_empty: true)' }],
      );
    }
    return rules;
  }

  return {
    approvalRequired: opts.approval === 'required',
    async propose(input) {
      const rules = checkedForPublish(input.rules, input.allowEmpty);
      return store.propose({
        rules,
        content_hash: rulesetHash(rules),
        author: input.author,
        comment: input.comment,
        ...(input.expectedActive !== undefined && { expectedActive: input.expectedActive }),
      });
    },
    proposals: (limit, status) => store.proposals(limit, status),
    async proposal(id) {
      const found = await store.proposal(id);
      if (found === null) throw new RiskError('RISK_ERR_NOT_FOUND', `no ruleset proposal ${id}`);
      return found;
    },
    async approve(input) {
      const result = await store.approve(input);
      await live.refresh();
      return result;
    },
    reject: (input) => store.reject(input),
    async active() {
      return mustGet(live.version());
    },
    validate(rules) {
      const checked = checkRuleset(rules);
      return { valid: true, rule_count: checked.length, content_hash: rulesetHash(checked) };
    },
    async publish(input) {
      const rules = checkedForPublish(input.rules, input.allowEmpty);
      const result = await store.publish({
        rules,
        content_hash: rulesetHash(rules),
        author: input.author,
        comment: input.comment,
        source: input.source ?? 'api',
        ...(input.expectedActive !== undefined && { expectedActive: input.expectedActive }),
      });
      await live.refresh();
      return result;
    },
    async rollback(input) {
      const result = await store.rollback(input);
      await live.refresh();
      return result;
    },
    versions: (limit) => store.list(limit),
    version: mustGet,
    audit: (limit) => store.audit(limit),
    async backtest(input) {
      const rules = checkRuleset(input.rules);
      const active = await mustGet(live.version());
      const job: BacktestJob = {
        candidate: rules,
        active: { rules: active.rules, version: active.version },
        thresholds: opts.thresholds,
        ...(input.transactions !== undefined
          ? { transactions: input.transactions }
          : {
              // What the rules saw only: the worker thread gets a copy, the answers stay here.
              samples: opts.recent.latest(input.recent).map((s) => ({
                transaction: s.transaction,
                features: s.features,
                anomaly_score: s.anomaly_score,
                fraud_probability: s.fraud_probability ?? null,
              })),
            }),
      };
      if (input.changedPage !== undefined) job.changedPage = input.changedPage;
      if (input.labels !== undefined) job.labels = input.labels;
      else if (job.samples !== undefined && opts.labelsOf !== undefined && job.samples.length > 0)
        job.labels = await opts.labelsOf(job.samples.map((x) => x.transaction.transaction_id));
      return {
        source: input.transactions !== undefined ? 'request' : 'recent',
        ...(await opts.runBacktest(job)),
      };
    },
  };
}
