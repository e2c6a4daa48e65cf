/** @jsxImportSource hono/jsx */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { actorOf, callerOf } from '../http/middleware/guards.ts';
import { minerView } from './miners.views.ts';
import type { AppEnv } from '../http/types.ts';
import type { Registry } from './registry.service.ts';
import type { MinerService } from './miners.service.ts';
import { MinersPage, type NewRegistrationToken } from './miners.page.tsx';
import { formAction, parseForm, type FormOutcome } from '../ui/forms.ts';
import { pageAdmin } from '../ui/guards.ts';

const tokenForm = z.object({
  label: z.string().trim().min(1, 'give the miner a label').max(100),
  ttlHours: z.coerce.number().int().min(1).max(168).default(24),
});
const pairingForm = z.object({ pairingKey: z.string().trim().min(4, 'paste the pairing key the miner printed').max(64) });

/** Dependencies of the miners page. */
export interface MinerPagesDeps {
  miners: MinerService;
  registry: Registry;
  /** The address remote miners reach this server at (BASE_URL). */
  baseUrl: string;
}

type Extra = { created: NewRegistrationToken };

/** `/admin/miners`: the miners table, pairing, approval, disable/enable/revoke and registration tokens. */
export function minersPages(deps: MinerPagesDeps) {
  const render = (c: Context<AppEnv>, outcome: FormOutcome<Extra> = {}, status = 200) =>
    c.html(<MinersPage caller={callerOf(c)} miners={minerView(deps.miners, deps.registry)} {...outcome} />, status as 200);
  const attempt = formAction<Extra>(render);
  const actor = (c: Context<AppEnv>) => actorOf(callerOf(c));
  const label = (m: { workerId: string }) => m.workerId;

  return new Hono<AppEnv>()
    .use(pageAdmin)
    .get('/', (c) => render(c))
    .post('/tokens', (c) =>
      attempt(c, async () => {
        const form = parseForm(tokenForm, await c.req.parseBody());
        const made = deps.miners.createRegistrationToken(actor(c), form.label, form.ttlHours);
        // The token is in this page only: keep it out of every cache.
        c.header('cache-control', 'no-store');
        return { created: { token: made.token, label: made.label, expiresAt: made.expiresAt, serverUrl: deps.baseUrl } };
      }),
    )
    .post('/:id/confirm', (c) =>
      attempt(c, async () => {
        const form = parseForm(pairingForm, await c.req.parseBody());
        return { info: `Paired ${label(deps.miners.confirm(actor(c), c.req.param('id'), form.pairingKey))}: it takes jobs now.` };
      }),
    )
    .post('/:id/approve', (c) => attempt(c, () => ({ info: `Approved ${label(deps.miners.approve(actor(c), c.req.param('id')))}: it takes jobs now.` })))
    .post('/:id/disable', (c) => attempt(c, () => ({ info: `Disabled ${label(deps.miners.disable(actor(c), c.req.param('id')))}: it gets no new jobs.` })))
    .post('/:id/enable', (c) => attempt(c, () => ({ info: `Enabled ${label(deps.miners.enable(actor(c), c.req.param('id')))}.` })))
    .post('/:id/revoke', (c) =>
      attempt(c, () => ({ info: `Revoked ${label(deps.miners.revoke(actor(c), c.req.param('id')))}: it must enroll again to work.` })),
    );
}
