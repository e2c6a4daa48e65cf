/** @jsxImportSource hono/jsx */
import type { Context } from 'hono';
import type { AppEnv } from '../http/types.ts';
import { Layout } from './layout.tsx';

// Programs get JSON errors: the API, the OpenAI-compatible API, health and metrics, and any
// client that does not ask for HTML first.
const MACHINE_PATHS = /^\/(api|v1|health|metrics|ws)(\/|$)/;

/** Whether a request comes from a browser navigating to a page (it asks for HTML, not under the APIs). */
export function wantsPage(c: Context<AppEnv>): boolean {
  if (MACHINE_PATHS.test(c.req.path) || (c.req.method !== 'GET' && c.req.method !== 'HEAD')) return false;
  return /^text\/html|,\s*text\/html/.test(c.req.header('accept') ?? '');
}

/** A styled error page with the site's layout, and a way back. */
export function ErrorPage({ c, title, message }: { c: Context<AppEnv>; title: string; message: string }) {
  const caller = c.get('caller');
  return (
    <Layout title={title} caller={caller}>
      <section class="card" data-testid="error-page">
        <h1>{title}</h1>
        <p>{message}</p>
        <p>
          <a href={caller ? '/chat' : '/login'}>{caller ? 'Back to the chat' : 'Sign in'}</a>
        </p>
      </section>
    </Layout>
  );
}

/** The 404 page browsers get for an address that names nothing. */
export const notFoundPage = (c: Context<AppEnv>) =>
  c.html(<ErrorPage c={c} title="Page not found" message={`There is no page at ${c.req.path}. Check the address, or go back.`} />, 404);

/** The 403 page a signed-in user gets for an admin page. */
export const forbiddenPage = (c: Context<AppEnv>) =>
  c.html(<ErrorPage c={c} title="Admins only" message="This page is for admins of this appliance. Ask one if you need what is here." />, 403);
