import { isUtf8 } from 'node:buffer';
import type { MethodDefinition } from '@grpc/grpc-js';
import protobuf from 'protobufjs/minimal.js';
import type { ErrorDetail } from '../../domain/errors.ts';
import { RiskError } from '../../domain/errors.ts';

/*
 * What a gRPC request must be before protobufjs decodes it. Left to the decoder, three things
 * go wrong quietly or loudly:
 * - bytes that are not a Transaction make the deserializer throw, which grpc-js answers with
 *   INTERNAL (a server fault, "retry") instead of INVALID_ARGUMENT;
 * - a string field that is not UTF-8 is decoded with U+FFFD in place of the bad bytes, so two
 *   different ids could become one (REST refuses such a body, see src/api/http/server.ts);
 * - an attribute named `__proto__` is assigned to the decoded map's prototype and vanishes,
 *   where REST refuses it by name.
 * So the wire is read once more, field by field, and a request that fails becomes a marked
 * message whose reading (createTransactionReader) throws RISK_ERR_VALIDATION.
 */

const { Reader } = protobuf;
const LENGTH_DELIMITED = 2;
/** Keys of `attributes` that JavaScript objects inherit and that REST refuses by name. */
const INHERITED = new Set(Object.getOwnPropertyNames(Object.prototype));

const UNDECODABLE = Symbol('undecodable gRPC message');

interface Undecodable {
  [UNDECODABLE]: RiskError;
}

/** The error of a message the guarded deserializer refused, or undefined for a good one. */
export function undecodableError(msg: unknown): RiskError | undefined {
  return typeof msg === 'object' && msg !== null && UNDECODABLE in msg
    ? (msg as Undecodable)[UNDECODABLE]
    : undefined;
}

function refused(detail: ErrorDetail): Undecodable {
  return {
    [UNDECODABLE]: new RiskError('RISK_ERR_VALIDATION', `${detail.field}: ${detail.message}`, [
      detail,
    ]),
  };
}

interface TransactionLayout {
  /** Field number → name of each `string` field. */
  strings: ReadonlyMap<number, string>;
  /** The number of the `map<string, AttributeValue> attributes` field. */
  attributes: number;
}

interface DescriptorField {
  name: string;
  number: number;
  type: string;
}

/** Reads the layout from the loaded descriptor, so a field added to the proto is covered. */
function layoutOf(def: object): TransactionLayout {
  // @grpc/proto-loader's definitions carry the message descriptor beside grpc-js's fields.
  const fields = (def as unknown as { requestType: { type: { field: DescriptorField[] } } })
    .requestType.type.field;
  const attributes = fields.find((f) => f.name === 'attributes');
  if (attributes === undefined) throw new Error('risk.v1.Transaction has no attributes field');
  return {
    strings: new Map(fields.filter((f) => f.type === 'TYPE_STRING').map((f) => [f.number, f.name])),
    attributes: attributes.number,
  };
}

/**
 * The problem of one map entry (key = 1, value = 2: AttributeValue, whose `string_value` is 1),
 * or null.
 */
function attributeProblem(entry: Uint8Array): ErrorDetail | null {
  const r = Reader.create(entry);
  let key = '';
  let value: Uint8Array | undefined;
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === LENGTH_DELIMITED) {
      const bytes = r.bytes();
      if (!isUtf8(bytes)) return { field: '/attributes', message: 'a key is not valid UTF-8' };
      key = Buffer.from(bytes).toString('utf8');
    } else if (tag >>> 3 === 2 && (tag & 7) === LENGTH_DELIMITED) value = r.bytes();
    else r.skipType(tag & 7);
  }
  if (INHERITED.has(key))
    return { field: `/attributes/${key}`, message: 'is a name every object inherits' };
  if (value !== undefined) {
    const v = Reader.create(value);
    while (v.pos < v.len) {
      const tag = v.uint32();
      if (tag >>> 3 === 1 && (tag & 7) === LENGTH_DELIMITED) {
        if (!isUtf8(v.bytes()))
          return { field: `/attributes/${key}`, message: 'is not valid UTF-8' };
      } else v.skipType(tag & 7);
    }
  }
  return null;
}

/** The first problem of an encoded Transaction, or null. Throws on bytes that are no message. */
function wireProblem(buf: Uint8Array, layout: TransactionLayout): ErrorDetail | null {
  const r = Reader.create(buf);
  while (r.pos < r.len) {
    const tag = r.uint32();
    const field = tag >>> 3;
    if ((tag & 7) !== LENGTH_DELIMITED) {
      r.skipType(tag & 7);
      continue;
    }
    const bytes = r.bytes();
    const name = layout.strings.get(field);
    if (name !== undefined && !isUtf8(bytes))
      return { field: `/${name}`, message: 'is not valid UTF-8' };
    if (field === layout.attributes) {
      const problem = attributeProblem(bytes);
      if (problem !== null) return problem;
    }
  }
  return null;
}

/**
 * The method with a deserializer that never throws: a request that is not a well-formed
 * Transaction comes out as a marked message (see `undecodableError`).
 */
export function guardTransactionDeserializer<Res>(
  def: MethodDefinition<unknown, Res>,
): MethodDefinition<unknown, Res> {
  const layout = layoutOf(def);
  const decode = def.requestDeserialize;
  return {
    ...def,
    requestDeserialize: (buf: Buffer) => {
      try {
        const problem = wireProblem(buf, layout);
        return problem === null ? decode(buf) : refused(problem);
      } catch (err) {
        const message = `is not a risk.v1.Transaction (${err instanceof Error ? err.message : String(err)})`;
        return refused({ field: '/', message });
      }
    },
  };
}
