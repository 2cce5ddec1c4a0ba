/**
 * A stand-in OpenTelemetry collector for the tracing-cost bench: accepts OTLP/HTTP exports on
 * /v1/traces, counts the spans and discards them. Its own process, so that the cost measured is
 * the service's (building, batching and sending spans), not the collector's.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

let spans = 0;
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (d: Buffer) => chunks.push(d));
  req.on('end', () => {
    if (req.method === 'POST' && req.url === '/v1/traces') {
      // Counting `"spanId"` keys is enough here: the JSON body is not needed otherwise.
      spans += Buffer.concat(chunks).toString().split('"spanId"').length - 1;
    }
    if (req.method === 'GET' && req.url === '/count') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ spans }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`Server listening at http://127.0.0.1:${port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
