// The baseline for the HTTP benchmark: a bare Hono app on @hono/node-server
// answering the same route as Onsite's /health/live, with no middleware.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono().get('/health/live', (c) => c.json({ status: 'ok' }));
const server = serve({ fetch: app.fetch, port: Number(process.argv[2] ?? 0), hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(`${info.port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
