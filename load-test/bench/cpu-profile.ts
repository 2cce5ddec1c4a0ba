/**
 * Reading a V8 `.cpuprofile` (what `node --cpu-prof` writes): the samples of a time window as
 * folded stacks (the input format of flame graph tools such as inferno and flamegraph.pl) and
 * as self time per function. Only the reading is ours; the drawing is inferno's.
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

/** The parts of a `.cpuprofile` used here (Chrome DevTools protocol `Profiler.Profile`). */
export interface CpuProfile {
  nodes: ProfileNode[];
  /** Microseconds on the monotonic clock (the one process.hrtime reads). */
  startTime: number;
  endTime: number;
  samples: number[];
  /** Microseconds between a sample and the one before it (the first: since startTime). */
  timeDeltas: number[];
}

export interface SelfTime {
  frame: string;
  /** Where it lives: `src/<dir>`, an npm package, `node` internals or a V8 pseudo-frame. */
  area: string;
  selfUs: number;
}

export interface WindowSamples {
  /** Folded stacks, `root;…;leaf <µs>` per line, heaviest first. */
  folded: string[];
  selfTimes: SelfTime[];
  /** Time with the frame anywhere on the stack (counted once per stack), heaviest first. */
  totalTimes: SelfTime[];
  /** Sampled time in the window, idle excluded, µs. */
  busyUs: number;
  idleUs: number;
}

/** `file:///…/node_modules/fastify/lib/route.js` → `fastify/lib/route.js`; ours from `src/`. */
export function shortUrl(url: string, root: string): string {
  if (url === '') return '';
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) return path.slice(nm + '/node_modules/'.length);
  if (path.startsWith(root)) return path.slice(root.length).replace(/^\//, '');
  return path;
}

/** Which part of the stack a frame belongs to, for the table by area. */
export function areaOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : 'native (V8 builtins)';
  if (url.startsWith('node:')) return 'node internals';
  const pkg = /^(@[^/]+\/[^/]+|[^/]+)\//.exec(url);
  if (url.startsWith('src/') || url.startsWith('load-test/')) {
    return url.split('/').slice(0, 2).join('/');
  }
  return pkg?.[1] ?? url;
}

function frameName(f: CallFrame, root: string): string {
  const name = f.functionName === '' ? '(anonymous)' : f.functionName;
  const url = shortUrl(f.url, root);
  // inferno splits frames on ';' and the count on the last space: keep both out of a frame.
  const label = url === '' ? name : `${name} ${url}:${f.lineNumber + 1}`;
  return label.replaceAll(';', ',').replaceAll(' ', '\u00a0');
}

/**
 * The samples taken between `fromUs` and `toUs` (monotonic µs, the profile's clock), folded by
 * stack, with self time per frame. `(idle)` is counted apart; `(program)` and
 * `(garbage collector)` stay in, they are CPU the process spent.
 */
export function windowSamples(
  p: CpuProfile,
  fromUs: number,
  toUs: number,
  root: string,
): WindowSamples {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of p.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const selfById = new Map<number, number>();
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i] ?? 0;
    if (t < fromUs || t > toUs) continue;
    // A sample stands for the time until the next one.
    const next = p.timeDeltas[i + 1] ?? 0;
    const id = p.samples[i]!;
    selfById.set(id, (selfById.get(id) ?? 0) + next);
  }
  const stacks = new Map<string, number>();
  const self = new Map<string, SelfTime>();
  const total = new Map<string, SelfTime>();
  let busyUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfById) {
    const node = byId.get(id)!;
    if (node.callFrame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    busyUs += us;
    const names: string[] = [];
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const f = byId.get(at)!.callFrame;
      if (f.functionName === '(root)') break;
      const name = frameName(f, root);
      names.push(name);
      if (seen.has(name)) continue;
      seen.add(name);
      const frame = name.replaceAll('\u00a0', ' ');
      const entry = total.get(frame) ?? {
        frame,
        area: areaOf(shortUrl(f.url, root), f.functionName),
        selfUs: 0,
      };
      entry.selfUs += us;
      total.set(frame, entry);
    }
    const key = names.reverse().join(';');
    stacks.set(key, (stacks.get(key) ?? 0) + us);
    const frame = names.at(-1)!.replaceAll('\u00a0', ' ');
    const url = shortUrl(node.callFrame.url, root);
    const entry = self.get(frame) ?? {
      frame,
      area: areaOf(url, node.callFrame.functionName),
      selfUs: 0,
    };
    entry.selfUs += us;
    self.set(frame, entry);
  }
  return {
    folded: [...stacks]
      .sort((a, b) => b[1] - a[1])
      .filter(([, us]) => us > 0)
      .map(([k, us]) => `${k} ${Math.round(us)}`),
    selfTimes: [...self.values()].sort((a, b) => b.selfUs - a.selfUs),
    totalTimes: [...total.values()].sort((a, b) => b.selfUs - a.selfUs),
    busyUs,
    idleUs,
  };
}

/** Self time summed by area, heaviest first. */
export function byArea(selfTimes: readonly SelfTime[]): Array<{ area: string; selfUs: number }> {
  const sums = new Map<string, number>();
  for (const s of selfTimes) sums.set(s.area, (sums.get(s.area) ?? 0) + s.selfUs);
  return [...sums].map(([area, selfUs]) => ({ area, selfUs })).sort((a, b) => b.selfUs - a.selfUs);
}
