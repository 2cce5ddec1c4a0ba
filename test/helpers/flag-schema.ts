import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import { PACKAGE_ROOT } from '../../src/app/paths.ts';

/** A validator for the repository's JSON Schema of risk.flag.v1 (what alert teams are given). */
export function flagSchemaValidator() {
  return schemaValidator('risk.flag.v1');
}

/** The same for risk.case-event.v1 (what the payment system is given). */
export function caseEventSchemaValidator() {
  return schemaValidator('risk.case-event.v1');
}

function schemaValidator(name: string) {
  const schema = JSON.parse(
    readFileSync(join(PACKAGE_ROOT, `src/domain/schemas/${name}.json`), 'utf8'),
  ) as object;
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  ajvFormats.default(ajv);
  const validate = ajv.compile(schema);
  return (value: unknown): string | null =>
    validate(value) ? null : ajv.errorsText(validate.errors);
}
