/** @jsxImportSource hono/jsx */
import type { BrowserStatus } from '../browser-client/browser-status.service.ts';
import type { Caller } from '../http/types.ts';
import type { CheckResult, Readiness } from '../kernel/health.ts';
import type { LicenseState } from '../license/license.service.ts';
import { when } from '../ui/components.tsx';
import { Layout } from '../ui/layout.tsx';
import type { KnowledgeStatus } from '../knowledge/status.service.ts';
import { KnowledgeSection } from './system-knowledge.page.tsx';

/** Versions the page lists; `browser` is absent while the sidecar does not answer. */
export interface SystemVersions {
  onsite: string;
  revision: string;
  node: string;
  browser?: string | undefined;
}

/** Props of {@link SystemPage}. */
export interface SystemPageProps {
  caller: Caller;
  readiness: Readiness;
  browser: BrowserStatus;
  license: LicenseState;
  knowledge: KnowledgeStatus;
  versions: SystemVersions;
}

// A failing non-critical check degrades the appliance; a critical one makes it not ready.
function stateOf(r: CheckResult): { text: string; cls: string } {
  if (r.ok) return { text: 'ok', cls: 'ok' };
  return r.critical === false ? { text: 'degraded', cls: 'warn' } : { text: 'failing', cls: 'bad' };
}

function Checks({ readiness }: { readiness: Readiness }) {
  return (
    <section class="card">
      <h1>System</h1>
      <p>
        Readiness:{' '}
        <strong class={readiness.status === 'ok' ? 'ok' : readiness.status === 'degraded' ? 'warn' : 'bad'} data-testid="system-status">
          {readiness.status}
        </strong>{' '}
        <span class="muted">
          (as <code>/health/ready</code> reports it)
        </span>
      </p>
      <table data-testid="checks">
        <thead>
          <tr>
            <th>Check</th>
            <th>State</th>
            <th>Reason</th>
            <th>Detail</th>
          </tr>
        </thead>
        <tbody>
          {Object.entries(readiness.checks).map(([name, r]) => {
            const state = stateOf(r);
            return (
              <tr data-testid="check-row" data-name={name} data-ok={String(r.ok)}>
                <td>{name}</td>
                <td class={state.cls}>{state.text}</td>
                <td>{r.reason ?? ''}</td>
                <td>{r.message ?? ''}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}

function Browser({ browser: b }: { browser: BrowserStatus }) {
  const p = b.health?.pool;
  const figures: Array<[string, number | undefined]> = [
    ['Browsers in the pool', p?.size],
    ['Browsers up', p?.alive],
    ['Most sessions at once', p?.maxSessions],
    ['Fetching now', p?.active],
    ['Waiting for a browser', p?.waiting],
    ['Browsers launched', p?.launched],
    ['Browsers replaced', p?.replaced],
    ['Pages served', p?.served],
  ];
  return (
    <section class="card" data-testid="browser">
      <h2>Browser service</h2>
      <p>
        <span class={b.ok ? 'ok' : 'bad'} data-testid="browser-state">
          {b.ok ? (b.health?.status ?? 'ok') : (b.reason ?? 'unavailable')}
        </span>{' '}
        at <code>{b.origin}</code>, checked {when(new Date(b.checkedAt))}
      </p>
      {b.ok ? null : (
        <p class="muted" data-testid="browser-message">
          {b.message}. Chats still answer, without reading the web pages they link.
        </p>
      )}
      {p ? (
        <table data-testid="browser-pool">
          <tbody>
            {figures.map(([label, value]) => (
              <tr>
                <th scope="row">{label}</th>
                <td>{value ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <p data-testid="browser-client">
        This server: {b.client.active} of {b.client.limit} page fetches in use, {b.client.waiting} waiting (<code>BROWSER_CLIENT_CONCURRENCY</code>).
      </p>
    </section>
  );
}

function License({ license: l }: { license: LicenseState }) {
  return (
    <section class="card" data-testid="license">
      <h2>License</h2>
      <p>
        <span data-testid="license-mode">{l.mode}</span>, {l.seatsUsed} of {l.seats} seats in use
        {l.expiresAt ? `, expires ${when(l.expiresAt)}${l.daysLeft !== undefined ? ` (${l.daysLeft} days left)` : ''}` : ''}.{' '}
        <a href="/admin/license">License page</a>
      </p>
      {l.clockBehind ? <p class="bad">The system clock is behind the latest time this installation has seen ({when(l.latestSeen)}).</p> : null}
    </section>
  );
}

/** Admin: what `/health` knows, the browser sidecar's pool, the knowledge base, the license state and the versions running. */
export function SystemPage({ caller, readiness, browser, license, knowledge, versions }: SystemPageProps) {
  return (
    <Layout title="System" caller={caller}>
      <Checks readiness={readiness} />
      <Browser browser={browser} />
      <KnowledgeSection status={knowledge} />
      <License license={license} />
      <section class="card">
        <h2>Versions</h2>
        <table data-testid="versions">
          <tbody>
            <tr>
              <th scope="row">Onsite</th>
              <td>
                {versions.onsite} ({versions.revision})
              </td>
            </tr>
            <tr>
              <th scope="row">Node.js</th>
              <td>{versions.node}</td>
            </tr>
            <tr>
              <th scope="row">Browser service</th>
              <td data-testid="browser-version">{versions.browser ?? 'unknown (not answering)'}</td>
            </tr>
          </tbody>
        </table>
      </section>
    </Layout>
  );
}
