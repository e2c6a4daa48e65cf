/** @jsxImportSource hono/jsx */
import type { Caller } from '../http/types.ts';
import type { Readiness } from '../kernel/health.ts';
import { Layout } from './layout.tsx';

/** Props of {@link HomePage}. */
export interface HomeProps {
  version: string;
  readiness: Readiness;
  caller: Caller;
}

/** The start page: what this appliance is and whether it is ready. */
export function HomePage({ version, readiness, caller }: HomeProps) {
  return (
    <Layout title="Home" caller={caller}>
      <section class="card">
        <h1>Onsite</h1>
        <p data-testid="signed-in-as">
          Signed in as {caller.user.email} ({caller.user.role}).
        </p>
        <p>Your company's AI appliance: local models, your documents, nothing leaves the building.</p>
        <p class="muted">Version {version}</p>
      </section>
      <section class="card">
        <h2>Status</h2>
        <ul class="checks">
          {Object.entries(readiness.checks).map(([name, r]) => (
            <li>
              <span class={r.ok ? 'ok' : 'bad'}>{r.ok ? '●' : '✕'}</span>
              <span>{name}</span>
              {r.ok ? null : <span class="muted">{r.reason ?? r.message}</span>}
            </li>
          ))}
        </ul>
      </section>
    </Layout>
  );
}
