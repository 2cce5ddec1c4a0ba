import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';

export interface RunningServer {
  url: string;
  /** Other ports the process announced, by name (e.g. `grpc`). */
  ports: Record<string, number>;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts a Node script in its own process (so that the server and the load generator each get
 * a core) and waits for the line that says where it listens: up to a minute, since the service
 * took over 20 s to start on a machine shared with other builds.
 */
export async function startServer(
  script: string,
  env: Record<string, string>,
  listenPattern = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/,
  timeoutMs = 60_000,
  /** Node flags before the script, e.g. `--cpu-prof`. */
  nodeArgs: readonly string[] = [],
): Promise<RunningServer> {
  const child = spawn(process.execPath, [...nodeArgs, script], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${script} did not start:\n${out}`)),
      timeoutMs,
    );
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = listenPattern.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code}:\n${out}`));
    });
  });
  const ports: Record<string, number> = {};
  for (const m of out.matchAll(/"(\w+)_port":(\d+)/g)) ports[m[1]!] = Number(m[2]);
  return {
    url,
    ports,
    process: child,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}
