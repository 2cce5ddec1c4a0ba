import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { after } from 'node:test';

const MAIN = new URL('../../src/main.ts', import.meta.url).pathname;

/**
 * How long a start may take before it counts as failed. Generous: a loaded machine can take
 * many seconds to load the sources and open the stores; the wait ends as soon as the service
 * says it listens, so a fast start costs nothing.
 */
export const START_TIMEOUT_MS = 120_000;

export interface ServiceProcess {
  child: ChildProcessWithoutNullStreams;
  /** The REST base URL once the service listens. */
  url: string;
  /** The gRPC port. */
  grpcPort: number;
  output: () => string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Resolves once `re` matches the output (stdout and stderr), or rejects after `timeoutMs`. */
  waitForOutput(re: RegExp, timeoutMs?: number, what?: string): Promise<RegExpExecArray>;
}

// Every process started here is killed after the file's tests, whatever they did: a child left
// running would keep the test file alive until its deadline.
const live = new Set<ChildProcessWithoutNullStreams>();
after(() => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * Starts src/main.ts with `env` (ports chosen by the OS) and waits until it listens on both
 * doors: the gRPC line comes last, after which the signal handlers are installed.
 */
export async function startService(
  env: Record<string, string>,
  timeoutMs = START_TIMEOUT_MS,
): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      HTTP_PORT: '0',
      GRPC_PORT: '0',
      ...env,
      // At least info: the listen lines are how we learn the ports.
      LOG_LEVEL: 'info',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  live.add(child);
  let out = '';
  const waiters = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const w of waiters) w();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  // 'close' rather than 'exit': by then everything the process wrote has been read.
  const exited = once(child, 'close').then(([code]) => {
    live.delete(child);
    for (const w of waiters) w();
    return code as number | null;
  });

  const waitForOutput = (
    re: RegExp,
    ms = START_TIMEOUT_MS,
    what = String(re),
  ): Promise<RegExpExecArray> =>
    new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      const check = () => {
        const m = re.exec(out);
        if (m) {
          done();
          resolve(m);
        } else if (!live.has(child)) {
          done();
          reject(
            new Error(`exited with ${child.exitCode ?? child.signalCode} before ${what}:\n${out}`),
          );
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no ${what} within ${ms} ms:\n${out}`));
      }, ms);
      timer.unref(); // an abandoned wait must not keep the test file alive
      waiters.add(check);
      check();
    });

  try {
    const [http, grpc] = await Promise.all([
      waitForOutput(/Server listening at (http:\/\/127\.0\.0\.1:\d+)/, timeoutMs, 'listening'),
      waitForOutput(/gRPC listening at [^\s"]*:(\d+)/, timeoutMs, 'listening'),
    ]);
    return {
      child,
      url: http[1] ?? '',
      grpcPort: Number(grpc[1]),
      output: () => out,
      exited,
      waitForOutput,
    };
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    throw err;
  }
}

/** POST /v1/score over the network. */
export async function postScoreTo(
  url: string,
  body: unknown,
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${url}/v1/score`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

export interface HeldRequest {
  /** Resolves once the server has read the request's headers (its 100 Continue came back). */
  read: Promise<void>;
  /** Sends the rest of the body; resolves with the answer, or rejects if none came. */
  finish(): Promise<{ status: number; body: unknown }>;
  /** Resolves with whatever came back once the server closed the connection. */
  closed: Promise<string>;
}

/**
 * POST /v1/score held in flight on a socket of its own: the headers (with
 * `expect: 100-continue`) and the start of the body are sent at once, the rest by `finish()`.
 * The server's 100 Continue is the event that proves it holds the request: a test can send a
 * signal then, knowing a request is in flight, instead of guessing with a sleep.
 */
export function holdRequest(url: string, body: unknown): HeldRequest {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  const json = JSON.stringify(body);
  let reply = '';
  const closed = new Promise<string>((resolve) => {
    socket.on('close', () => resolve(reply));
  });
  socket.on('error', () => undefined); // seen as a closed socket without an answer
  const read = new Promise<void>((resolve, reject) => {
    socket.on('data', (d: Buffer) => {
      reply += d.toString();
      if (reply.startsWith('HTTP/1.1 100 Continue\r\n\r\n')) resolve();
    });
    void closed.then(() => reject(new Error(`closed before 100 Continue: ${reply}`)));
  });
  socket.on('connect', () => {
    socket.write(
      `POST /v1/score HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/json\r\n` +
        `content-length: ${Buffer.byteLength(json)}\r\nexpect: 100-continue\r\n` +
        `connection: close\r\n\r\n${json.slice(0, 10)}`,
    );
  });
  return {
    read,
    closed,
    async finish() {
      socket.write(json.slice(10));
      const all = await closed;
      const m =
        /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 (\d{3}) [^\r]*\r\n[\s\S]*?\r\n\r\n([\s\S]*)$/.exec(
          all,
        );
      if (!m) throw new Error(`no answer to the held request: ${JSON.stringify(all)}`);
      return { status: Number(m[1]), body: JSON.parse(m[2] ?? '') as unknown };
    },
  };
}
