/** @jsxImportSource hono/jsx */
import { raw } from 'hono/html';
import type { Caller } from '../http/types.ts';
import type { LicenseView } from './license.views.ts';
import type { LicenseState } from './license.service.ts';
import { Notice, when } from '../ui/components.tsx';
import { CsrfField, Layout } from '../ui/layout.tsx';

/** Props of {@link LicensePage}. */
export interface LicensePageProps {
  caller: Caller;
  state: LicenseState;
  history: LicenseView[];
  request?: { code: string; qrSvg: string } | undefined;
  error?: string | undefined;
  info?: string | undefined;
}

/** Admin: license state, request code (text and QR), activation, history. */
export function LicensePage({ caller, state, history, request, error, info }: LicensePageProps) {
  return (
    <Layout title="License" caller={caller}>
      <Notice error={error} info={info} />
      <section class="card">
        <h1>License</h1>
        <table>
          <tbody>
            <tr>
              <th>State</th>
              <td data-testid="license-mode">{state.mode}</td>
            </tr>
            <tr>
              <th>Seats</th>
              <td data-testid="license-seats">
                {state.seatsUsed} of {state.seats} in use
              </td>
            </tr>
            <tr>
              <th>Customer</th>
              <td>{state.customer ?? '—'}</td>
            </tr>
            <tr>
              <th>Expires</th>
              <td data-testid="license-expires">{state.expiresAt ? `${when(state.expiresAt)} (${state.daysLeft} days left)` : '—'}</td>
            </tr>
            <tr>
              <th>Grace until</th>
              <td>{when(state.graceEndsAt)}</td>
            </tr>
            <tr>
              <th>Installation ID</th>
              <td>
                <code>{state.installationId}</code>
              </td>
            </tr>
            {state.clockBehind ? (
              <tr>
                <th>Clock</th>
                <td class="bad">behind the latest time seen ({when(state.latestSeen)})</td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </section>
      <section class="card">
        <h2>1. Request code</h2>
        <p>Send this code to the vendor (copy it, read it out, or scan the QR code with a phone).</p>
        {request ? (
          <div class="row">
            <p class="secret" data-testid="request-code">
              {request.code}
            </p>
            <div class="qr">{raw(request.qrSvg)}</div>
          </div>
        ) : null}
        <form method="post" action="/admin/license/request">
          <CsrfField caller={caller} />
          <button type="submit" class="secondary" data-testid="make-request">
            {request ? 'Make a new request code' : 'Show request code'}
          </button>
        </form>
      </section>
      <section class="card">
        <h2>2. Activation code</h2>
        <form method="post" action="/admin/license/install" class="stack" data-testid="install-form">
          <CsrfField caller={caller} />
          <label class="field">
            <span>Paste the activation code from the vendor</span>
            <textarea name="code" rows={6} required></textarea>
          </label>
          <button type="submit">Install</button>
        </form>
      </section>
      <section class="card">
        <h2>History</h2>
        <table>
          <thead>
            <tr>
              <th>Installed</th>
              <th>By</th>
              <th>License</th>
              <th>Seats</th>
              <th>Expires</th>
            </tr>
          </thead>
          <tbody>
            {history.map((h) => (
              <tr>
                <td>{when(h.installedAt)}</td>
                <td>{h.installedBy}</td>
                <td>{h.licenseId}</td>
                <td>{h.seats}</td>
                <td>{when(h.expiresAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </Layout>
  );
}
