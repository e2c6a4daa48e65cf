/** @jsxImportSource hono/jsx */
import { Hono, type Context } from 'hono';
import QRCode from 'qrcode';
import { z } from 'zod';
import { statusOf } from '../http/errors.ts';
import { actorOf, callerOf } from '../http/middleware/guards.ts';
import type { AppEnv } from '../http/types.ts';
import { isAppError } from '../kernel/errors.ts';
import type { LicenseService } from './license.service.ts';
import { LicensePage } from './license.page.tsx';
import { publicLicense } from './license.views.ts';
import { pageAdmin } from '../ui/guards.ts';

const installForm = z.object({ code: z.string().max(8000).default('') });

/** The admin license page and its two forms. */
export function licensePages(license: LicenseService) {
  const render = (c: Context<AppEnv>, extra: { error?: string; info?: string; request?: { code: string; qrSvg: string } } = {}, status = 200) =>
    c.html(<LicensePage caller={callerOf(c)} state={license.state()} history={license.history().map(publicLicense)} {...extra} />, status as 200);

  return new Hono<AppEnv>()
    .use(pageAdmin)
    .get('/', (c) => render(c))
    .post('/request', async (c) => {
      const code = license.requestCode(actorOf(callerOf(c)), c.get('ip'));
      // Server-side SVG: no script, no CDN; error correction M survives a phone camera.
      const qrSvg = await QRCode.toString(code, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
      return render(c, { request: { code, qrSvg } });
    })
    .post('/install', async (c) => {
      const form = installForm.parse(await c.req.parseBody());
      try {
        const s = license.install(form.code, actorOf(callerOf(c)), c.get('ip'));
        return render(c, { info: `Activation code installed: ${s.seats} seats until ${s.expiresAt?.toISOString().slice(0, 10)}.` });
      } catch (err) {
        if (!isAppError(err)) throw err;
        return render(c, { error: `${err.message} [${err.code}]` }, statusOf(err.code));
      }
    });
}
