/** @jsxImportSource hono/jsx */
import type { MinerView } from './miners.views.ts';
import type { Caller } from '../http/types.ts';
import { Field, Notice } from '../ui/components.tsx';
import { CsrfField, Layout, PostButton } from '../ui/layout.tsx';

/** A registration token just made: shown this once, with the lines a remote miner needs. */
export interface NewRegistrationToken {
  token: string;
  label: string;
  expiresAt: string;
  serverUrl: string;
}

/** Props of {@link MinersPage}. */
export interface MinersPageProps {
  caller: Caller;
  miners: MinerView[];
  error?: string | undefined;
  info?: string | undefined;
  created?: NewRegistrationToken | undefined;
}

function Connection({ m }: { m: MinerView }) {
  if (!m.connected)
    return (
      <span class="muted" data-testid="miner-connection">
        offline
      </span>
    );
  return (
    <span data-testid="miner-connection" class={m.healthy ? 'ok' : 'bad'}>
      {m.healthy ? 'connected, healthy' : `connected, unhealthy${m.problem ? `: ${m.problem}` : ''}`}
    </span>
  );
}

function Actions({ caller, m }: { caller: Caller; m: MinerView }) {
  if (m.status === 'revoked') return null;
  return (
    <div class="row">
      {m.status === 'pending' && m.enrolledVia === 'secret' ? <PostButton caller={caller} action={`/admin/miners/${m.id}/approve`} label="Approve" /> : null}
      {m.status === 'pending' && m.enrolledVia === 'token' ? (
        <form method="post" action={`/admin/miners/${m.id}/confirm`} class="row" data-testid="confirm-form">
          <CsrfField caller={caller} />
          <input name="pairingKey" placeholder="XXXX-XXXX-XXXX-XXXX-XXXX" required minlength={4} maxlength={64} aria-label="Pairing key" />
          <button type="submit">Confirm</button>
        </form>
      ) : null}
      {m.status === 'active' ? <PostButton caller={caller} action={`/admin/miners/${m.id}/disable`} label="Disable" kind="secondary" /> : null}
      {m.status === 'disabled' ? <PostButton caller={caller} action={`/admin/miners/${m.id}/enable`} label="Enable" kind="secondary" /> : null}
      <PostButton caller={caller} action={`/admin/miners/${m.id}/revoke`} label="Revoke" kind="danger" />
    </div>
  );
}

/** Admin: the miners, their health and load, pairing, and registration tokens for remote miners. */
export function MinersPage({ caller, miners, error, info, created }: MinersPageProps) {
  return (
    <Layout title="Miners" caller={caller}>
      <Notice error={error} info={info} />
      {created ? (
        <section class="card" data-testid="new-token">
          <h2>Registration token for {created.label}</h2>
          <p>Shown only this once; it works once, until {created.expiresAt.slice(0, 16).replace('T', ' ')} UTC. Start the remote miner with:</p>
          <pre class="secret" data-testid="miner-env">{`SERVER_URL=${created.serverUrl}\nMINER_REGISTRATION_TOKEN=${created.token}\nonsite miner`}</pre>
          <p class="muted">The miner then prints a pairing key. Paste it in the miner’s row below: it gets no work until then.</p>
        </section>
      ) : null}
      <section class="card">
        <h1>Miners</h1>
        <table data-testid="miners-table">
          <thead>
            <tr>
              <th>Worker</th>
              <th>Status</th>
              <th>Connection</th>
              <th>Load</th>
              <th>Models</th>
              <th>Last heartbeat</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {miners.map((m) => (
              <tr data-testid="miner-row" data-worker={m.workerId} data-status={m.status}>
                <td>
                  {m.workerId}
                  <div class="muted small">
                    {m.enrolledVia === 'secret' ? 'bundled' : 'remote'}
                    {m.version ? ` · ${m.version}` : ''}
                  </div>
                </td>
                <td data-testid="miner-status">{m.status}</td>
                <td>
                  <Connection m={m} />
                </td>
                <td data-testid="miner-load">{m.connected ? `${m.inflight} / ${m.capacity ?? '?'}` : '—'}</td>
                <td>{m.models.map((x) => x.name).join(', ') || '—'}</td>
                <td>{m.lastHeartbeatAt ? `${m.lastHeartbeatAt.slice(0, 19).replace('T', ' ')} UTC` : '—'}</td>
                <td>
                  <Actions caller={caller} m={m} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {miners.length === 0 ? <p class="muted">No miner has enrolled yet.</p> : null}
      </section>
      <section class="card">
        <h2>Add a remote miner</h2>
        <p class="muted">Makes a one-time registration token. The bundled miner enrolls by itself with the enrolment secret.</p>
        <form method="post" action="/admin/miners/tokens" class="stack" data-testid="token-form">
          <CsrfField caller={caller} />
          <Field label="Label (where the miner runs)" name="label" />
          <Field label="Valid for (hours, 1–168)" name="ttlHours" type="number" value="24" />
          <button type="submit">Make registration token</button>
        </form>
      </section>
    </Layout>
  );
}
