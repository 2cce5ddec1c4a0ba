import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';

const MAIN = new URL('../../src/main.js', import.meta.url).pathname;

export interface ServiceProcess {
  child: ChildProcessWithoutNullStreams;
  /** Resolves with the HTTP base URL once the service logs that it listens. */
  listening: (timeoutMs?: number) => Promise<string>;
  output: () => string;
}

/** Starts `dist/src/main.js` as a real process, on ephemeral ports, with only `env` set. */
export function startService(env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      HTTP_PORT: '0',
      GRPC_PORT: '0',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const listening = (timeoutMs = 30_000) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m?.[1]) {
          clearTimeout(timer);
          child.stdout.off('data', check);
          resolve(m[1]);
        }
      };
      const timer = setTimeout(() => {
        child.stdout.off('data', check);
        reject(new Error(`no listen line within ${timeoutMs} ms:\n${out}`));
      }, timeoutMs);
      child.stdout.on('data', check);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`service exited with ${code} before listening:\n${out}`));
      });
      check();
    });
  return { child, listening, output: () => out };
}
