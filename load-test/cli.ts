import type { ParseArgsConfig } from 'node:util';
import { parseArgs } from 'node:util';

/*
 * What every tool command (`npm run train`, `evaluate`, `simulate`) does with its command line
 * and its failures: `--help` prints the usage and exits 0; an unknown or malformed option
 * prints what is wrong and the usage and exits 2; a failure while running (a file that is
 * not what it should be, say) prints its message, not a stack trace, and exits 1
 * (`RISK_DEBUG=1` shows the stack).
 */

type Options = NonNullable<ParseArgsConfig['options']>;

/** A command-line mistake: printed with the usage, exit status 2. */
export class UsageError extends Error {}

/** The parsed options; `--help`/`-h` handled here. */
export function parseCommandLine<const O extends Options>(
  usage: string,
  options: O,
  args: string[] = process.argv.slice(2),
): ReturnType<typeof parseArgs<{ options: O; strict: true }>>['values'] {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (code.startsWith('ERR_PARSE_ARGS')) throw new UsageError((err as Error).message);
    throw err;
  }
  if ((parsed.values as { help?: boolean }).help === true) {
    process.stdout.write(`${usage.trim()}\n`);
    process.exit(0);
  }
  return parsed.values;
}

/** Runs a command's body: usage errors exit 2 with the usage, other failures exit 1. */
export async function runCommand(usage: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n\n${usage.trim()}\n`);
      process.exitCode = 2;
      return;
    }
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`error: ${message}\n`);
    if (process.env.RISK_DEBUG === '1' && err instanceof Error)
      process.stderr.write(`${err.stack}\n`);
    process.exitCode = 1;
  }
}
