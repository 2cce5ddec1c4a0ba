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

/** `numberValue` → `number_value`. */
function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** Calls `visit` on every message of a file, nested ones included, with its full name. */
function forEachMessage(
  file: IFileDescriptorProto,
  visit: (msg: IDescriptorProto, fullName: string) => void,
): void {
  const walk = (msgs: readonly IDescriptorProto[] | undefined, scope: string): void => {
    for (const msg of msgs ?? []) {
      const fullName = scope === '' ? (msg.name ?? '') : `${scope}.${msg.name ?? ''}`;
      visit(msg, fullName);
      walk(msg.nestedType, fullName);
    }
  };
  walk(file.messageType, file.package ?? '');
}

function repairMessage(msg: IDescriptorProto, wellKnown: boolean): void {
  const fields = (msg.field ?? []) as Field[];
  if (wellKnown) for (const f of fields) if (f.name) f.name = snakeCase(f.name);
  for (const nested of msg.nestedType ?? []) {
    if (nested.options?.mapEntry !== true) continue;
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
 * The file that declares a type reference, resolved as protoc does: a name with a leading dot is
 * fully qualified, any other is looked up from the innermost scope outwards.
 */
function declaringFile(
  ref: string,
  scope: string,
  declaredIn: ReadonlyMap<string, string>,
): string | undefined {
  if (ref.startsWith('.')) return declaredIn.get(ref.slice(1));
  for (let s = scope; ; s = s.includes('.') ? s.slice(0, s.lastIndexOf('.')) : '') {
    const file = declaredIn.get(s === '' ? ref : `${s}.${ref}`);
    if (file !== undefined || s === '') return file;
  }
}

/** The files whose types `file` uses, which protoc lists as its imports. */
function dependenciesOf(
  file: IFileDescriptorProto,
  declaredIn: ReadonlyMap<string, string>,
): string[] {
  const deps = new Set<string>();
  const use = (ref: string | undefined, scope: string): void => {
    const dep = ref ? declaringFile(ref, scope, declaredIn) : undefined;
    if (dep !== undefined && dep !== file.name) deps.add(dep);
  };
  forEachMessage(file, (msg, fullName) => {
    for (const f of msg.field ?? []) use(f.typeName, fullName);
  });
  const pkg = file.package ?? '';
  for (const service of file.service ?? []) {
    for (const m of service.method ?? []) {
      use(m.inputType, pkg);
      use(m.outputType, pkg);
    }
  }
  return [...deps].sort();
}

/**
 * The file descriptors that protobufjs builds (and @grpc/reflection serves) differ from
 * protoc's in ways that strict clients reject or misread:
 * - a map field's entry type is named `Attributes` instead of `AttributesEntry` (Go's
 *   protodesc, hence grpcurl, refuses the whole file: "incorrect implicit map entry name");
 * - proto3 `optional` fields lack the proto3_optional flag (they then show as a oneof `_amount`);
 * - a file lists no imports, so a field of a type from another file (google.protobuf.Value)
 *   cannot be resolved ("cannot resolve type");
 * - protobufjs's bundled copies of the well-known types (google.protobuf.Struct, Value, ...),
 *   which replace the real files on import, name their fields in lowerCamelCase; every field of
 *   the real files is lower_snake_case (`number_value`), which is what clients expect.
 * This returns a copy of the package definition whose descriptors are repaired; the messages
 * themselves, and the JavaScript objects they convert to, are untouched.
 */
export function repairDescriptors(pkg: PackageDefinition): PackageDefinition {
  const type = descriptor.FileDescriptorProto;
  // Every definition of the package shares the same buffers, one per file.
  const buffers = new Set<Buffer>();
  for (const def of Object.values(pkg)) {
    const protos = (def as { fileDescriptorProtos?: unknown }).fileDescriptorProtos;
    if (Array.isArray(protos)) for (const b of protos) buffers.add(b as Buffer);
  }
  // A plain object holds only the fields present on the wire (a decoded message would answer 0
  // for an absent oneof_index through its prototype's defaults).
  const files = new Map(
    [...buffers].map((bin) => [bin, type.toObject(type.decode(bin)) as IFileDescriptorProto]),
  );
  const declaredIn = new Map<string, string>();
  for (const file of files.values()) {
    const pkgName = file.package ?? '';
    const declare = (name: string | undefined, scope: string): void => {
      if (name && file.name) declaredIn.set(scope === '' ? name : `${scope}.${name}`, file.name);
    };
    for (const e of file.enumType ?? []) declare(e.name, pkgName);
    forEachMessage(file, (msg, fullName) => {
      if (file.name) declaredIn.set(fullName, file.name);
      for (const e of msg.enumType ?? []) declare(e.name, fullName);
    });
  }
  const repaired = new Map<Buffer, Buffer>();
  for (const [bin, file] of files) {
    // Dependencies first: they are resolved against the names protobufjs gave.
    file.dependency = dependenciesOf(file, declaredIn);
    const wellKnown = file.package === 'google.protobuf';
    forEachMessage(file, (msg) => repairMessage(msg, wellKnown));
    repaired.set(bin, Buffer.from(type.encode(type.fromObject(file)).finish()));
  }
  const repair = (bin: Buffer): Buffer => repaired.get(bin) ?? bin;
  const copy: PackageDefinition = {};
  for (const [name, def] of Object.entries(pkg)) {
    const protos = (def as { fileDescriptorProtos?: unknown }).fileDescriptorProtos;
    copy[name] = Array.isArray(protos)
      ? ({ ...def, fileDescriptorProtos: protos.map((b) => repair(b as Buffer)) } as typeof def)
      : def;
  }
  return copy;
}
