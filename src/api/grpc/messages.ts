import { Ajv } from 'ajv';
import ajvFormats from 'ajv-formats';
import type { Decision } from '../../domain/decision.ts';
import { RiskError } from '../../domain/errors.ts';
import type { VelocityFeatures } from '../../domain/features.ts';
import type { ExplainedCondition, ExplainedFiredRule } from '../../domain/rules/compile.ts';
import type { FiredRule, RuleAction } from '../../domain/rules/types.ts';
import type { Transaction } from '../../domain/transaction.ts';
import { TRANSACTION_FORMATS, transactionSchema } from '../../domain/transaction.ts';
import type { DegradedReason, ScoreResponse } from '../../pipeline/score-response.ts';
import { describeValidation } from '../validation-details.ts';
import type { ProtoValue } from './value.ts';
import { fromProtoValue, toProtoValue } from './value.ts';
import { undecodableError } from './wire-check.ts';

/*
 * The messages of proto/risk/v1/risk.proto as @grpc/proto-loader hands them over (see
 * PROTO_LOADER_OPTIONS): every field may be absent, because unset fields are not filled in.
 */

export interface ProtoAttributeValue {
  string_value?: string;
  number_value?: number;
  bool_value?: boolean;
  kind?: 'string_value' | 'number_value' | 'bool_value';
}

/** The proto message: every field of Transaction, all optional (proto3), attributes typed. */
export type ProtoTransaction = Partial<Omit<Transaction, 'attributes'>> & {
  attributes?: Record<string, ProtoAttributeValue>;
};

export interface ProtoReason {
  rule?: string;
  score?: number;
  action?: string;
  description?: string;
  shadow?: boolean;
}

export interface ProtoExplainedRule extends ProtoReason {
  conditions?: ProtoValue;
}

export interface ProtoFeatureValue {
  value?: number;
}

export interface ProtoScoreResponse {
  transaction_id?: string;
  decision?: string;
  risk_score?: number;
  risk_flag?: boolean;
  reasons?: ProtoReason[];
  anomaly_score?: number;
  features?: Record<string, ProtoFeatureValue>;
  ruleset_version?: string;
  model_version?: string;
  degraded?: boolean;
  degraded_reasons?: string[];
  evaluated_at?: string;
  explanation?: ProtoExplainedRule[];
  shadow_reasons?: ProtoReason[];
}

export interface ProtoErrorDetail {
  field?: string;
  message?: string;
}

export interface ProtoScoreError {
  code?: string;
  message?: string;
  retriable?: boolean;
  details?: ProtoErrorDetail[];
}

export interface ProtoScoreStreamResponse {
  transaction_id?: string;
  sequence?: number;
  response?: ProtoScoreResponse;
  error?: ProtoScoreError;
  result?: 'response' | 'error';
  replayed?: boolean;
}

/** The scalar fields of Transaction, copied as they are when set. */
const SCALAR_FIELDS = [
  'transaction_id',
  'timestamp',
  'amount',
  'currency',
  'account_id',
  'card_id',
  'device_id',
  'ip',
  'merchant_id',
  'merchant_category',
  'channel',
  'location',
  'latitude',
  'longitude',
] as const satisfies ReadonlyArray<keyof ProtoTransaction & keyof Transaction>;

/**
 * The JSON object that REST would have received for this message: unset fields are left out
 * (so the schema's defaults and `required` apply exactly as they do to a REST body) and each
 * attribute becomes its bare value. An attribute with no kind set becomes null, which the
 * schema rejects naming `/attributes/<key>`. An empty attribute map is left out: proto3 cannot
 * tell it from an absent one.
 */
export function transactionJson(msg: ProtoTransaction): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of SCALAR_FIELDS) {
    const v = msg[f];
    if (v !== undefined && v !== null) out[f] = v;
  }
  const attrs = msg.attributes;
  if (attrs !== undefined && attrs !== null) {
    const keys = Object.keys(attrs);
    if (keys.length > 0) {
      const json: Record<string, unknown> = {};
      for (const k of keys) json[k] = attributeValue(attrs[k]);
      out.attributes = json;
    }
  }
  return out;
}

function attributeValue(v: ProtoAttributeValue | undefined): string | number | boolean | null {
  switch (v?.kind) {
    case 'string_value':
      return v.string_value ?? '';
    case 'number_value':
      return v.number_value ?? 0;
    case 'bool_value':
      return v.bool_value ?? false;
    default:
      return null;
  }
}

export type TransactionReader = (msg: ProtoTransaction) => Transaction;

/**
 * Builds the reader that turns a gRPC Transaction into the domain one, validated with the same
 * JSON Schema and the same ajv options as the REST door (fastify's options as customised in
 * src/api/http/server.ts: no additional-field removal, no coercion, defaults filled in, every
 * error reported; ajv-formats and TRANSACTION_FORMATS for the formats). ajv's default `strictNumbers` also refuses NaN
 * and ±Infinity, which a protobuf double can carry and JSON cannot.
 */
export function createTransactionReader(): TransactionReader {
  const ajv = new Ajv({
    removeAdditional: false,
    coerceTypes: false,
    useDefaults: true,
    allErrors: true,
    addUsedSchema: false,
    formats: { ...TRANSACTION_FORMATS },
  });
  ajvFormats.default(ajv);
  const validate = ajv.compile<Transaction>(transactionSchema);
  return (msg) => {
    const refused = undecodableError(msg);
    if (refused !== undefined) throw refused;
    const json = transactionJson(msg);
    if (validate(json)) return json;
    const details = describeValidation(validate.errors ?? []);
    const first = details[0];
    throw new RiskError(
      'RISK_ERR_VALIDATION',
      first ? `${first.field}: ${first.message}` : 'request does not match the schema',
      details,
    );
  };
}

function reasonToProto(f: FiredRule): ProtoReason {
  const reason: ProtoReason = { rule: f.rule, score: f.score };
  if (f.action !== undefined) reason.action = f.action;
  if (f.description !== undefined) reason.description = f.description;
  if (f.shadow === true) reason.shadow = true;
  return reason;
}

/**
 * The gRPC form of a response: nulls become unset fields, an empty list stays empty, and each
 * explained rule's condition tree becomes a google.protobuf.Value holding the JSON REST writes.
 */
export function scoreResponseToProto(r: ScoreResponse): ProtoScoreResponse {
  const features: Record<string, ProtoFeatureValue> = {};
  for (const [name, value] of Object.entries(r.features)) {
    features[name] = value === null ? {} : { value };
  }
  const out: ProtoScoreResponse = {
    transaction_id: r.transaction_id,
    decision: r.decision,
    risk_score: r.risk_score,
    risk_flag: r.risk_flag,
    reasons: r.reasons.map(reasonToProto),
    features,
    ruleset_version: r.ruleset_version,
    degraded: r.degraded,
    evaluated_at: r.evaluated_at,
  };
  if (r.anomaly_score !== null) out.anomaly_score = r.anomaly_score;
  if (r.model_version !== null) out.model_version = r.model_version;
  if (r.degraded_reasons !== undefined) out.degraded_reasons = [...r.degraded_reasons];
  if (r.shadow_reasons !== undefined) out.shadow_reasons = r.shadow_reasons.map(reasonToProto);
  if (r.explanation !== undefined) {
    out.explanation = r.explanation.map((e) => ({
      ...reasonToProto(e),
      conditions: toProtoValue(e.conditions),
    }));
  }
  return out;
}

/*
 * The client's side, for tests and load generators: a domain transaction as a gRPC message, and
 * a gRPC response as the JSON body REST would have answered.
 */

export function transactionToProto(tx: Transaction): ProtoTransaction {
  const out: ProtoTransaction = {};
  for (const f of SCALAR_FIELDS) {
    const v = tx[f];
    if (v !== undefined) Object.assign(out, { [f]: v });
  }
  if (tx.attributes !== undefined) {
    const attrs: Record<string, ProtoAttributeValue> = {};
    for (const [k, v] of Object.entries(tx.attributes)) {
      if (typeof v === 'string') attrs[k] = { string_value: v };
      else if (typeof v === 'number') attrs[k] = { number_value: v };
      else attrs[k] = { bool_value: v };
    }
    out.attributes = attrs;
  }
  return out;
}

const ACTIONS: ReadonlySet<string> = new Set<RuleAction>(['approve', 'review', 'decline']);

function asAction(v: string | undefined, what: string): RuleAction {
  if (v === undefined || !ACTIONS.has(v)) throw new Error(`${what} is not a decision: ${v}`);
  return v as RuleAction;
}

function reasonFromProto(r: ProtoReason): FiredRule {
  const fired: FiredRule = { rule: r.rule ?? '', score: r.score ?? 0 };
  if (r.action !== undefined) fired.action = asAction(r.action, 'reason action');
  if (r.description !== undefined) fired.description = r.description;
  if (r.shadow === true) fired.shadow = true;
  return fired;
}

function explainedRuleFromProto(e: ProtoExplainedRule): ExplainedFiredRule {
  if (e.conditions === undefined) throw new Error(`explained rule "${e.rule}" has no conditions`);
  // The server writes the tree it evaluated; its shape is not checked again here.
  const conditions = fromProtoValue(e.conditions) as unknown as ExplainedCondition;
  return { ...reasonFromProto(e), conditions };
}

export interface ScoreResponseFromProtoOptions {
  /**
   * The call asked for explanations (`risk-explain: true`) and was not an idempotent replay:
   * an empty `explanation` then means that no rule fired, which REST writes as `[]`. Otherwise
   * only a non-empty one is kept, since proto3 cannot tell an empty list from none.
   */
  explained?: boolean;
}

/** Fills the proto3 defaults back in and turns unset optionals into REST's nulls. */
export function scoreResponseFromProto(
  p: ProtoScoreResponse,
  options: ScoreResponseFromProtoOptions = {},
): ScoreResponse {
  const features: VelocityFeatures = {};
  for (const [name, v] of Object.entries(p.features ?? {})) features[name] = v.value ?? null;
  const out: ScoreResponse = {
    transaction_id: p.transaction_id ?? '',
    decision: asAction(p.decision, 'decision') satisfies Decision,
    risk_score: p.risk_score ?? 0,
    risk_flag: p.risk_flag ?? false,
    reasons: (p.reasons ?? []).map(reasonFromProto),
    anomaly_score: p.anomaly_score ?? null,
    features,
    ruleset_version: p.ruleset_version ?? '',
    model_version: p.model_version ?? null,
    degraded: p.degraded ?? false,
    evaluated_at: p.evaluated_at ?? '',
  };
  if (p.shadow_reasons !== undefined && p.shadow_reasons.length > 0) {
    out.shadow_reasons = p.shadow_reasons.map(reasonFromProto);
  }
  if (p.degraded_reasons !== undefined && p.degraded_reasons.length > 0) {
    out.degraded_reasons = p.degraded_reasons as DegradedReason[];
  }
  const explanation = p.explanation ?? [];
  if (options.explained === true || explanation.length > 0) {
    out.explanation = explanation.map(explainedRuleFromProto);
  }
  return out;
}
