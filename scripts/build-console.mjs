#!/usr/bin/env node
// Builds the analyst console (src/console/) into dist/console/: one bundled, minified script
// and style sheet with content hashes in their names (served as immutable), and index.html
// naming them (served no-cache). Nothing is fetched at run time: every library is bundled.
//
// Usage: node scripts/build-console.mjs            build
//        node scripts/build-console.mjs --if-stale build only if dist/console is missing or
//                                                  older than a source or the lock file; without
//                                                  esbuild (npm ci --omit=dev) an existing build is
//                                                  kept and a missing one is reported, not fatal
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src', 'console');
const out = join(root, 'dist', 'console');
const stamp = join(out, 'index.html');

function newestMtime(dir) {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    newest = Math.max(newest, s.isDirectory() ? newestMtime(p) : s.mtimeMs);
  }
  return newest;
}

function stale() {
  if (!existsSync(stamp)) return true;
  const built = statSync(stamp).mtimeMs;
  const inputs = Math.max(
    newestMtime(src),
    statSync(join(root, 'package-lock.json')).mtimeMs,
    statSync(fileURLToPath(import.meta.url)).mtimeMs,
  );
  return inputs > built;
}

export async function buildConsole({ quiet = false } = {}) {
  const { build } = await import('esbuild');
  const started = Date.now();
  const tmp = `${out}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const result = await build({
    entryPoints: [join(src, 'main.tsx')],
    bundle: true,
    minify: true,
    sourcemap: 'linked',
    format: 'esm',
    target: ['chrome111', 'firefox115', 'safari16.4'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    outdir: join(tmp, 'assets'),
    entryNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    metafile: true,
    legalComments: 'linked',
    logLevel: quiet ? 'error' : 'warning',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
  const js = outputs.find((f) => /^main-.*\.js$/.test(f));
  const css = outputs.find((f) => /^main-.*\.css$/.test(f));
  if (js === undefined || css === undefined)
    throw new Error(`unexpected outputs: ${outputs.join(', ')}`);
  const html = readFileSync(join(src, 'index.html'), 'utf8')
    .replace('%JS%', `/console/assets/${js}`)
    .replace('%CSS%', `/console/assets/${css}`);
  writeFileSync(join(tmp, 'index.html'), html);
  // Compressed copies beside each asset: @fastify/static sends them (preCompressed) to
  // browsers that accept them, about a third of the size, with nothing compressed per request.
  const { brotliCompressSync, constants, gzipSync } = await import('node:zlib');
  for (const f of [js, css]) {
    const bytes = readFileSync(join(tmp, 'assets', f));
    writeFileSync(
      join(tmp, 'assets', `${f}.br`),
      brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 9 } }),
    );
    writeFileSync(join(tmp, 'assets', `${f}.gz`), gzipSync(bytes, { level: 9 }));
  }
  // Swapped in whole: a server reading dist/console never sees half a build.
  rmSync(out, { recursive: true, force: true });
  mkdirSync(dirname(out), { recursive: true });
  const { renameSync } = await import('node:fs');
  renameSync(tmp, out);
  if (!quiet) {
    const kib = (f) => `${(statSync(join(out, 'assets', f)).size / 1024).toFixed(0)} KiB`;
    console.error(
      `console built in ${Date.now() - started} ms: ${js} ${kib(js)} (brotli ${kib(`${js}.br`)}), ${css} ${kib(css)}`,
    );
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const ifStale = process.argv.includes('--if-stale');
  if (ifStale && !stale()) process.exit(0);
  try {
    await import('esbuild');
  } catch {
    if (ifStale) {
      console.error(
        existsSync(stamp)
          ? 'esbuild is not installed: keeping the console build in dist/console'
          : 'esbuild is not installed and the console is not built: /console/ will say so (npm ci, then npm run build:console)',
      );
      process.exit(0);
    }
    console.error('esbuild is not installed: run npm ci');
    process.exit(1);
  }
  await buildConsole();
}
