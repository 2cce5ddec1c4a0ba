import { ISO_3166_ALPHA2 } from './countries.ts';
import { ISO_4217_ALPHA3 } from './currencies.ts';
import { RiskError } from './errors.ts';
import { eventTimeProblem, isEventTime, parseEventTime } from './event-time.ts';
import { SAFE_FREE_TEXT_PATTERN, SAFE_ID_PATTERN, SAFE_TEXT_PATTERN } from './text.ts';

/** A transaction as the payment system sends it (DESIGN.md §4.1), after validation. */
export interface Transaction {
  transaction_id: string;
  timestamp: string;
  amount: number;
  currency: string;
  account_id: string;
  card_id?: string;
  device_id?: string;
  ip?: string;
  merchant_id?: string;
  merchant_category?: string;
  channel?: string;
  location?: string;
  latitude?: number;
  longitude?: number;
  attributes?: Record<string, string | number | boolean>;
}

export const MAX_BODY_BYTES = 64 * 1024;
export const MAX_ATTRIBUTES = 32;

/*
 * Stored strings follow src/domain/text.ts: no control, separator or bidi characters, no lone
 * surrogates; identifiers are not blank. Identifiers are keys in the velocity store too, where
 * the unit separator (U+001F) delimits a stored event's fields.
 */
const id = { type: 'string', minLength: 1, maxLength: 128, pattern: SAFE_ID_PATTERN } as const;
const key = { type: 'string', minLength: 1, maxLength: 256, pattern: SAFE_ID_PATTERN } as const;
const label = { type: 'string', minLength: 1, maxLength: 64, pattern: SAFE_ID_PATTERN } as const;

/**
 * The string formats the schemas name, for ajv's `formats` option: the REST server and the
 * gRPC reader both pass this object, so both doors read a timestamp the same way.
 */
export const TRANSACTION_FORMATS = { 'event-time': isEventTime } as const;

/** A timestamp as src/domain/event-time.ts accepts it. */
export const eventTimeSchema = {
  type: 'string',
  format: 'event-time',
  maxLength: 64,
  examples: ['2024-01-15T10:00:00Z', '2024-01-15T11:00:00.250+01:00'],
  description:
    'RFC 3339 date-time (Z or ±HH:MM) between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z; leap seconds refused',
} as const;

/** JSON Schema of the request body; the gRPC door validates its messages with the same one. */
export const transactionSchema = {
  $id: 'Transaction',
  type: 'object',
  additionalProperties: false,
  required: ['transaction_id', 'timestamp', 'amount', 'account_id'],
  properties: {
    transaction_id: id,
    timestamp: eventTimeSchema,
    amount: { type: 'number', minimum: 0, maximum: 1e12 },
    currency: { type: 'string', enum: ISO_4217_ALPHA3, default: 'USD' },
    account_id: id,
    card_id: key,
    device_id: key,
    ip: key,
    merchant_id: key,
    merchant_category: label,
    channel: label,
    location: { type: 'string', enum: ISO_3166_ALPHA2 },
    latitude: { type: 'number', minimum: -90, maximum: 90 },
    longitude: { type: 'number', minimum: -180, maximum: 180 },
    attributes: {
      type: 'object',
      maxProperties: MAX_ATTRIBUTES,
      propertyNames: {
        minLength: 1,
        maxLength: 64,
        pattern: SAFE_TEXT_PATTERN,
        // `attributes.toString` would be a fact name every object inherits.
        not: { enum: Object.getOwnPropertyNames(Object.prototype) },
      },
      additionalProperties: {
        anyOf: [
          { type: 'string', maxLength: 1024, pattern: SAFE_FREE_TEXT_PATTERN },
          { type: 'number' },
          { type: 'boolean' },
        ],
      },
    },
  },
} as const;

/**
 * Event time in epoch milliseconds. The doors have checked the form already; a timestamp that
 * reached here some other way and is refused by `parseEventTime` is a validation error, never
 * NaN (which would slip past every comparison).
 */
export function eventTimeMs(tx: Pick<Transaction, 'timestamp'>): number {
  const ms = parseEventTime(tx.timestamp);
  if (ms !== null) return ms;
  const message = eventTimeProblem(tx.timestamp) ?? 'is not accepted';
  throw new RiskError('RISK_ERR_VALIDATION', `/timestamp: ${message}`, [
    { field: '/timestamp', message },
  ]);
}
