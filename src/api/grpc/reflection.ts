import type { PackageDefinition } from '@grpc/proto-loader';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import type {
  IDescriptorProto,
  IFieldDescriptorProto,
  IFileDescriptorProto,
} from 'protobufjs/ext/descriptor/index.js';

/** FieldDescriptorProto.proto3_optional (field 17), which protobufjs's typings do not list. */
type Field = IFieldDescriptorProto & { proto3Optional?: boolean };
const LABEL_REPEATED = 3;
const TYPE_MESSAGE = 11;

/** The name protoc gives a map field's entry type: `degraded_reasons` → `DegradedReasonsEntry`. */
export function mapEntryName(field: string): string {
  return `${field.replace(/(?:^|_)(.)/g, (_, c: string) => c.toUpperCase())}Entry`;
}

function repairMessage(msg: IDescriptorProto): void {
  const fields = (msg.field ?? []) as Field[];
  for (const nested of msg.nestedType ?? []) {
    if (nested.options?.mapEntry !== true) {
      repairMessage(nested);
      continue;
    }
    const field = fields.find(
      (f) => f.label === LABEL_REPEATED && f.type === TYPE_MESSAGE && f.typeName === nested.name,
    );
    if (field?.name === undefined) continue;
    const name = mapEntryName(field.name);
    nested.name = name;
    field.typeName = name;
  }
  const oneofs = msg.oneofDecl ?? [];
  for (const f of fields) {
    if (f.oneofIndex === undefined || f.oneofIndex === null) continue;
    const oneof = oneofs[f.oneofIndex];
    const members = fields.filter((g) => g.oneofIndex === f.oneofIndex).length;
    if (oneof?.name === `_${f.name}` && members === 1) f.proto3Optional = true;
  }
}

/**
 * The file descriptors that protobufjs builds (and @grpc/reflection serves) differ from
 * protoc's in two ways that strict clients reject or misread: a map field's entry type is named
 * `Attributes` instead of `AttributesEntry` (Go's protodesc, hence grpcurl, refuses the whole
 * file: "incorrect implicit map entry name"), and proto3 `optional` fields lack the
 * proto3_optional flag (they then show as a oneof `_amount`). This returns a copy of the package
 * definition whose descriptors are repaired; the messages themselves are untouched.
 */
export function repairDescriptors(pkg: PackageDefinition): PackageDefinition {
  const repaired = new Map<Buffer, Buffer>();
  const repair = (bin: Buffer): Buffer => {
    let out = repaired.get(bin);
    if (out === undefined) {
      const type = descriptor.FileDescriptorProto;
      // A plain object holds only the fields present on the wire (a decoded message would
      // answer 0 for an absent oneof_index through its prototype's defaults).
      const file = type.toObject(type.decode(bin)) as IFileDescriptorProto;
      for (const msg of file.messageType ?? []) repairMessage(msg);
      out = Buffer.from(type.encode(type.fromObject(file)).finish());
      repaired.set(bin, out);
    }
    return out;
  };
  const copy: PackageDefinition = {};
  for (const [name, def] of Object.entries(pkg)) {
    const protos = (def as { fileDescriptorProtos?: unknown }).fileDescriptorProtos;
    copy[name] = Array.isArray(protos)
      ? ({ ...def, fileDescriptorProtos: protos.map((b) => repair(b as Buffer)) } as typeof def)
      : def;
  }
  return copy;
}
