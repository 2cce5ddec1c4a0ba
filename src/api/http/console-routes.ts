import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';

export interface ConsoleRoutesOptions {
  /** The built console (`npm run build:console`): index.html and assets/. */
  dir: string;
}

/**
 * Scripts only from the service itself (no inline script, no eval), style sheets from it or
 * carrying this response's nonce (the editor inserts its own <style> element and is given the
 * nonce), API calls only to it, never framed. Style attributes are allowed: the editor sets a
 * few, and a style attribute cannot run script.
 */
export function consoleCsp(nonce?: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    nonce === undefined ? "style-src 'self'" : `style-src 'self' 'nonce-${nonce}'`,
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const SECURITY_HEADERS = {
  'content-security-policy': consoleCsp(),
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/**
 * The analyst console at `/console/` (DESIGN.md §4.10): hashed assets cached for a year as
 * immutable (@fastify/static), index.html (its CSP nonce filled in per response) fetched again on every load, and every other path under /console/ (the
 * app's own routes, such as /console/rules) answered with index.html. The API behind it takes
 * the bearer credential; these files need none.
 */
export const consoleRoutes: FastifyPluginAsync<ConsoleRoutesOptions> = async (app, opts) => {
  app.addHook('onSend', (_req, reply, payload, done) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS))
      if (!reply.hasHeader(name)) void reply.header(name, value);
    done(null, payload);
  });
  const index = join(opts.dir, 'index.html');
  const built = existsSync(index);
  if (built) {
    await app.register(fastifyStatic, {
      root: join(opts.dir, 'assets'),
      prefix: '/console/assets/',
      immutable: true,
      maxAge: '365d',
      // The build writes .br and .gz copies of each asset.
      preCompressed: true,
      index: false,
      wildcard: true,
    });
  }

  const sendIndex = async (reply: FastifyReply): Promise<FastifyReply> => {
    if (!built) {
      return reply
        .status(503)
        .type('text/plain; charset=utf-8')
        .header('cache-control', 'no-store')
        .send('The console is not built: run `npm run build:console` (npm start does it).\n');
    }
    // Read each time (half a kilobyte): a rebuild is served without a restart.
    const page = await readFile(index, 'utf8');
    const nonce = randomBytes(16).toString('base64');
    return reply
      .header('cache-control', 'no-cache')
      .header('content-security-policy', consoleCsp(nonce))
      .type('text/html; charset=utf-8')
      .send(page.replaceAll('%NONCE%', nonce));
  };

  const hidden = { schema: { hide: true } };
  app.get('/console', hidden, (_req, reply) => reply.redirect('/console/', 308));
  app.get('/console/', hidden, (_req, reply) => sendIndex(reply));
  app.get('/console/*', hidden, (req, reply) => {
    // A missing asset is a 404, not the page (a stale page asking for an old bundle).
    if (req.url.startsWith('/console/assets/')) return reply.callNotFound();
    return sendIndex(reply);
  });
};
