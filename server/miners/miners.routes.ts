import { Hono } from 'hono';
import type { Registry } from './registry.service.ts';
import type { MinerService } from './miners.service.ts';
import { minerView, publicMiner } from './miners.views.ts';
import { enrollRequestSchema } from '../kernel/protocol/miner.ts';
import { pairingBody, registrationTokenBody } from './miners.schemas.ts';
import { actorOf, callerOf, requireAdmin } from '../http/middleware/guards.ts';
import type { AppEnv } from '../http/types.ts';
import { jsonBody } from '../http/validate.ts';

/**
 * `/api/miners`: enrolment (open: the secret or registration token is the
 * credential) and the admin's view and controls.
 */
export function minersRoutes(service: MinerService, registry: Registry) {
  const admin = new Hono<AppEnv>()
    .use(requireAdmin)
    .get('/', (c) => c.json({ miners: minerView(service, registry) }))
    .post('/registration-tokens', async (c) => {
      const body = await jsonBody(c, registrationTokenBody);
      c.header('cache-control', 'no-store');
      return c.json(service.createRegistrationToken(actorOf(callerOf(c)), body.label, body.ttlHours), 201);
    })
    .post('/:id/confirm', async (c) =>
      c.json(publicMiner(service.confirm(actorOf(callerOf(c)), c.req.param('id'), (await jsonBody(c, pairingBody)).pairingKey))),
    )
    .post('/:id/approve', (c) => c.json(publicMiner(service.approve(actorOf(callerOf(c)), c.req.param('id')))))
    .post('/:id/disable', (c) => c.json(publicMiner(service.disable(actorOf(callerOf(c)), c.req.param('id')))))
    .post('/:id/enable', (c) => c.json(publicMiner(service.enable(actorOf(callerOf(c)), c.req.param('id')))))
    .delete('/:id', (c) => c.json(publicMiner(service.revoke(actorOf(callerOf(c)), c.req.param('id')))));
  return new Hono<AppEnv>()
    .post('/enroll', async (c) => {
      const answer = service.enroll(await jsonBody(c, enrollRequestSchema), c.get('ip'));
      c.header('cache-control', 'no-store');
      return c.json(answer, 201);
    })
    .route('/', admin);
}
