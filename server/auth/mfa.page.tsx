/** @jsxImportSource hono/jsx */
import { raw } from 'hono/html';
import type { Caller } from '../http/types.ts';
import { Notice, when } from '../ui/components.tsx';
import { CsrfField, Layout } from '../ui/layout.tsx';
import type { Enrolment, MfaStatus } from './mfa.service.ts';

// The code field: digits from the app or a recovery code, filled in by the browser's one-time-code autofill.
function CodeField({ label = 'Code from your authenticator app' }: { label?: string }) {
  return (
    <label class="field">
      <span>{label}</span>
      <input name="code" type="text" inputmode="numeric" autocomplete="one-time-code" maxlength={64} required data-testid="mfa-code" />
    </label>
  );
}

/** The second step of a sign-in: the code, with the challenge the password earned (hidden). */
export function MfaCodePage({ challenge, next, error }: { challenge: string; next: string; error?: string | undefined }) {
  return (
    <Layout title="Two-step sign-in">
      <section class="card">
        <h1>Two-step sign-in</h1>
        <Notice error={error} />
        <p>Type the 6-digit code your authenticator app shows for Onsite, or one of your recovery codes.</p>
        <form method="post" action="/login/mfa" class="stack" data-testid="mfa-form">
          <input type="hidden" name="challenge" value={challenge} />
          <input type="hidden" name="next" value={next} />
          <CodeField label="Code" />
          <button type="submit">Sign in</button>
        </form>
        <p class="muted">
          Lost your device and your recovery codes? Ask an admin to reset two-step sign-in. <a href="/login">Start again</a>
        </p>
      </section>
    </Layout>
  );
}

/** Props of {@link MfaPage}. */
export interface MfaPageProps {
  caller: Caller;
  status: MfaStatus;
  /** An enrolment under way: the QR code and secret to give the app. */
  enrolment?: Enrolment | undefined;
  /** Recovery codes just made: shown this once. */
  recoveryCodes?: string[] | undefined;
  error?: string | undefined;
  info?: string | undefined;
}

function RecoveryCodes({ codes }: { codes: string[] }) {
  return (
    <section class="card" data-testid="recovery-codes">
      <h2>Recovery codes</h2>
      <p>Each signs you in once if you lose your device. Keep them somewhere safe now: they are not shown again.</p>
      <ul class="secret">
        {codes.map((code) => (
          <li>
            <code>{code}</code>
          </li>
        ))}
      </ul>
      <p>
        <a href="/">Continue</a>
      </p>
    </section>
  );
}

/** Two-step sign-in in the account area: enrol (QR code, secret, confirmation), recovery codes, status and turning it off. */
export function MfaPage({ caller, status, enrolment, recoveryCodes, error, info }: MfaPageProps) {
  const restricted = caller.via === 'session' && caller.mfaEnrolmentRequired;
  return (
    <Layout title="Two-step sign-in" caller={caller}>
      <Notice error={error} info={info} />
      {recoveryCodes ? <RecoveryCodes codes={recoveryCodes} /> : null}
      <section class="card">
        <h1>Two-step sign-in</h1>
        {restricted ? <p data-testid="mfa-required">Your account must use two-step sign-in. Set it up to go on.</p> : null}
        {status.enabled ? (
          <p data-testid="mfa-status">
            On since {when(status.confirmedAt)}. {status.recoveryCodesLeft} recovery codes left.
          </p>
        ) : (
          <p data-testid="mfa-status">Off. With it on, signing in asks for a code from an authenticator app after your password.</p>
        )}
      </section>
      {status.enabled ? (
        <section class="card">
          <h2>Manage</h2>
          <form method="post" action="/profile/mfa/recovery-codes" class="stack">
            <CsrfField caller={caller} />
            <CodeField />
            <button type="submit" class="secondary">
              New recovery codes
            </button>
          </form>
          {status.required ? (
            <p class="muted">Your account must keep two-step sign-in. If you lose your device, an admin can reset it.</p>
          ) : (
            <form method="post" action="/profile/mfa/disable" class="stack">
              <CsrfField caller={caller} />
              <CodeField />
              <button type="submit" class="danger">
                Turn off
              </button>
            </form>
          )}
        </section>
      ) : enrolment ? (
        <section class="card" data-testid="mfa-enrolment">
          <h2>Scan this with your authenticator app</h2>
          <div class="qr">{raw(enrolment.qrSvg)}</div>
          <p>
            Or type this key: <code data-testid="mfa-secret">{enrolment.secret}</code>
          </p>
          <form method="post" action="/profile/mfa/confirm" class="stack">
            <CsrfField caller={caller} />
            <CodeField />
            <button type="submit">Confirm</button>
          </form>
        </section>
      ) : (
        <section class="card">
          <form method="post" action="/profile/mfa/start">
            <CsrfField caller={caller} />
            <button type="submit">Set up two-step sign-in</button>
          </form>
        </section>
      )}
    </Layout>
  );
}
