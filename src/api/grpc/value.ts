/*
 * JSON ⇄ google.protobuf.Value, for fields whose content is any JSON (ExplainedRule.conditions).
 *
 * protobufjs has no wrapper that maps Value to bare JSON (its wrappers cover Any only), so the
 * conversion is done here. The field names are those @grpc/proto-loader hands over for the copy
 * of google/protobuf/struct.proto bundled with protobufjs, which always replaces the real file
 * and names its fields in lowerCamelCase (`numberValue`, not `number_value`).
 */

export type JsonValue =
  null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface ProtoStruct {
  fields?: Record<string, ProtoValue>;
}

export interface ProtoListValue {
  values?: ProtoValue[];
}

/** google.protobuf.Value: exactly one member of the `kind` oneof is set. */
export interface ProtoValue {
  nullValue?: 'NULL_VALUE' | 0;
  numberValue?: number;
  stringValue?: string;
  boolValue?: boolean;
  structValue?: ProtoStruct;
  listValue?: ProtoListValue;
  kind?: 'nullValue' | 'numberValue' | 'stringValue' | 'boolValue' | 'structValue' | 'listValue';
}

const NULL: ProtoValue = Object.freeze({ nullValue: 'NULL_VALUE' });

/** `obj[key] = value` that also works for the key "__proto__" (JSON.parse can produce it). */
function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** JSON.stringify leaves these out of an object and writes null for them in a list. */
function isUnwritable(v: unknown): boolean {
  return v === undefined || typeof v === 'function' || typeof v === 'symbol';
}

/**
 * A JavaScript value as the Value that JSON.stringify's output would parse to, so that both
 * doors answer the same JSON: an object property that is undefined is left out, a number JSON
 * cannot write (NaN, ±Infinity) is null, -0 is 0, and anything else JSON has no form for is
 * null.
 */
export function toProtoValue(v: unknown): ProtoValue {
  switch (typeof v) {
    case 'string':
      return { stringValue: v };
    case 'boolean':
      return { boolValue: v };
    case 'number':
      // JSON writes -0 as 0; a double would keep the sign.
      if (Object.is(v, -0)) return { numberValue: 0 };
      return Number.isFinite(v) ? { numberValue: v } : NULL;
    case 'object': {
      if (v === null) return NULL;
      if (Array.isArray(v)) {
        return { listValue: { values: v.map((item: unknown) => toProtoValue(item)) } };
      }
      const fields: Record<string, ProtoValue> = {};
      for (const [key, item] of Object.entries(v)) {
        if (!isUnwritable(item)) setOwn(fields, key, toProtoValue(item));
      }
      return { structValue: { fields } };
    }
    default:
      return NULL;
  }
}

/** The JSON a Value stands for. A Value with no kind set is not valid: proto3 JSON refuses it. */
export function fromProtoValue(v: ProtoValue): JsonValue {
  switch (v.kind) {
    case 'nullValue':
      return null;
    case 'numberValue':
      return v.numberValue ?? 0;
    case 'stringValue':
      return v.stringValue ?? '';
    case 'boolValue':
      return v.boolValue ?? false;
    case 'structValue': {
      const out: { [key: string]: JsonValue } = {};
      for (const [key, item] of Object.entries(v.structValue?.fields ?? {})) {
        setOwn(out, key, fromProtoValue(item));
      }
      return out;
    }
    case 'listValue':
      return (v.listValue?.values ?? []).map(fromProtoValue);
    default:
      throw new Error('google.protobuf.Value has no kind set');
  }
}
