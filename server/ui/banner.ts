import type { MiddlewareHandler } from 'hono';
import { html } from 'hono/html';
import type { AppEnv } from '../http/types.ts';
import type { LicenseState } from '../license/license.service.ts';

/** The license banner for a state and viewer, or undefined when there is nothing to say. */
export function licenseBanner(s: LicenseState, isAdmin: boolean): string | undefined {
  const day = (d?: Date) => d?.toISOString().slice(0, 10) ?? '';
  const notes: string[] = [];
  if (s.mode === 'grace')
    notes.push(`The license expired on ${day(s.expiresAt)}. Onsite becomes read-only on ${day(s.graceEndsAt)} unless a renewal is installed.`);
  if (s.mode === 'read_only')
    notes.push(
      'The license has expired: Onsite is read-only. Sign-in, reading and export still work; nothing is deleted. An admin can install a renewal on the License page.',
    );
  if (s.overSeats && isAdmin)
    notes.push(
      `${s.seatsUsed} active users but ${s.seats} licensed seats: deactivate ${s.seatsUsed - s.seats} on the Users page. No user can be added until then.`,
    );
  if (s.clockBehind && isAdmin)
    notes.push(`The system clock is behind the latest time this appliance has seen (${s.latestSeen.toISOString()}). Fix the host clock.`);
  if (s.mode === 'evaluation' && isAdmin) notes.push('Evaluation mode: one account (you). Install an activation code on the License page to add users.');
  return notes.length ? notes.join(' ') : undefined;
}

/**
 * Adds the license banner to every HTML page, right inside `<main>`, so each
 * page need not know about licensing.
 */
export function bannerMiddleware(state: () => LicenseState): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    const caller = c.get('caller');
    if (!caller || !c.res.headers.get('content-type')?.startsWith('text/html')) return;
    const text = licenseBanner(state(), caller.user.role === 'admin');
    if (!text) return;
    const page = await c.res.text();
    const banner = await html`<div class="banner" role="status" data-testid="license-banner">${text}</div>`;
    c.res = new Response(page.replace('<main>', `<main>${banner}`), c.res);
  };
}
