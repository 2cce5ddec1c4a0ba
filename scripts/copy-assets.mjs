// tsc copies no non-TypeScript files: put the Lua scripts beside their compiled adapters.
import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

for (const dir of ['src/adapters/redis']) {
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.lua'))) {
    cpSync(join(dir, f), join('dist', dir, f));
  }
}
