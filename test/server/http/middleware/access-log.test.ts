import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../../../server/http/metrics.ts';
import { accessLog } from '../../../../server/http/middleware/access-log.ts';
import type { AppEnv } from '../../../../server/http/types.ts';
import { captureLog } from '../../../helpers/server.ts';
import { tinyApp } from '../../../helpers/middleware.ts';

const TOKEN = 'reset-token-that-must-never-be-logged';

function appFor() {
  const logs = captureLog([]);
  const metrics = createMetrics({ version: 'test', revision: 'test', node: process.version }, () => 0);
  const reset = new Hono<AppEnv>().get('/:token', (c) => c.text('form'));
  const app = tinyApp()
    .use(requestId())
    .use(accessLog(logs.log, metrics))
    .get('/api/things/:id', (c) => c.json({ id: c.req.param('id') }))
    .post('/api/fail', () => {
      throw new Error('boom');
    })
    .route('/reset', reset);
  // The request lines, less the fields every log line carries.
  const lines = () =>
    logs.lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === 'request')
      .map(({ level: _level, time: _time, service: _service, ...fields }) => fields);
  const counted = async () => (await metrics.requests.get()).values.map((v) => ({ ...v.labels, n: v.value }));
  const timed = async () =>
    (await metrics.duration.get()).values
      .filter((v) => v.metricName === 'onsite_http_request_duration_seconds_count')
      .map((v) => ({ ...v.labels, n: v.value }));
  return { app, lines, counted, timed };
}

describe('access log', () => {
  // method, path, status, the route pattern it is logged and counted under
  const table: Array<[method: string, path: string, status: number, route: string]> = [
    ['GET', '/api/things/42?q=secret', 200, '/api/things/:id'],
    ['GET', `/reset/${TOKEN}`, 200, '/reset/:token'],
    ['POST', '/api/fail', 500, '/api/fail'],
    ['GET', `/nowhere/${TOKEN}`, 404, 'unmatched'],
  ];
  it.each(table)('logs %s %s as one line with status %i under the route %s, and counts it', async (method, path, status, route) => {
    const { app, lines, counted, timed } = appFor();
    const res = await app.request(path, { method, headers: { authorization: `Bearer ${TOKEN}`, cookie: `onsite_session=${TOKEN}`, 'x-request-id': 'req-1' } });
    expect(res.status).toBe(status);
    expect(lines()).toEqual([{ msg: 'request', reqId: 'req-1', method, route, status, ms: expect.any(Number) }]);
    expect(await counted()).toEqual([{ method, route, status: String(status), n: 1 }]);
    expect(await timed()).toEqual([{ method, route, n: 1 }]);
  });

  it('never writes the path, the query, a header or the body', async () => {
    const { app, lines } = appFor();
    await app.request(`/reset/${TOKEN}?key=${TOKEN}`, { headers: { authorization: `Bearer ${TOKEN}`, 'user-agent': TOKEN } });
    await app.request('/api/fail', { method: 'POST', body: TOKEN });
    expect(lines()).toHaveLength(2);
    expect(JSON.stringify(lines())).not.toContain(TOKEN);
  });
});
