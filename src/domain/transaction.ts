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
 * Identifier fields may not hold control characters: they are keys in the velocity store, where
 * the unit separator (U+001F) delimits a stored event's fields.
 */
const id = {
  type: 'string',
  minLength: 1,
  maxLength: 128,
  pattern: '^[^\\u0000-\\u001f]+$',
} as const;
const key = {
  type: 'string',
  minLength: 1,
  maxLength: 256,
  pattern: '^[^\\u0000-\\u001f]+$',
} as const;
const label = { type: 'string', minLength: 1, maxLength: 64 } as const;

/** JSON Schema of the request body; the gRPC door validates its messages with the same one. */
export const transactionSchema = {
  $id: 'Transaction',
  type: 'object',
  additionalProperties: false,
  required: ['transaction_id', 'timestamp', 'amount', 'account_id'],
  properties: {
    transaction_id: id,
    timestamp: { type: 'string', format: 'date-time', maxLength: 64 },
    amount: { type: 'number', minimum: 0, maximum: 1e12 },
    currency: { type: 'string', pattern: '^[A-Z]{3}$', default: 'USD' },
    account_id: id,
    card_id: key,
    device_id: key,
    ip: key,
    merchant_id: key,
    merchant_category: label,
    channel: label,
    location: { type: 'string', pattern: '^[A-Z]{2}$' },
    latitude: { type: 'number', minimum: -90, maximum: 90 },
    longitude: { type: 'number', minimum: -180, maximum: 180 },
    attributes: {
      type: 'object',
      maxProperties: MAX_ATTRIBUTES,
      propertyNames: { maxLength: 64 },
      additionalProperties: {
        anyOf: [{ type: 'string', maxLength: 1024 }, { type: 'number' }, { type: 'boolean' }],
      },
    },
  },
} as const;

/** Event time in epoch milliseconds; the schema has already checked the RFC 3339 form. */
export function eventTimeMs(tx: Pick<Transaction, 'timestamp'>): number {
  return Date.parse(tx.timestamp);
}
