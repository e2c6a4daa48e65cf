/** @jsxImportSource hono/jsx */
import { describeReset } from './account.service.ts';
import { Field, Notice } from '../ui/components.tsx';
import { Layout } from '../ui/layout.tsx';

/** The first-admin claim form, or how to get a token when none is configured. */
export function SetupPage({
  error,
  tokenConfigured,
  token,
  name,
  email,
}: {
  error?: string;
  tokenConfigured: boolean;
  token?: string | undefined;
  name?: string;
  email?: string;
}) {
  return (
    <Layout title="Set up">
      <section class="card">
        <h1>Set up Onsite</h1>
        {tokenConfigured ? (
          <>
            <p>
              Create the first admin account. You need the bootstrap token that the init script printed (also in <code>.env</code> as{' '}
              <code>ONSITE_BOOTSTRAP_TOKEN</code>). It works once.
            </p>
            <Notice error={error} />
            <form method="post" action="/setup" class="stack" data-testid="setup-form">
              <Field label="Bootstrap token" name="token" type="password" value={token} autocomplete="off" />
              <Field label="Your name" name="name" value={name} autocomplete="name" />
              <Field label="Email" name="email" type="email" value={email} autocomplete="email" />
              <Field label="Password (at least 12 characters)" name="password" type="password" autocomplete="new-password" minlength={12} />
              <button type="submit">Create admin account</button>
            </form>
          </>
        ) : (
          <>
            <Notice error="No bootstrap token is configured." />
            <p>
              Run the init script on the host (<code>scripts/init.sh</code>, or <code>onsite init</code>), which writes <code>ONSITE_BOOTSTRAP_TOKEN</code> into{' '}
              <code>.env</code>, then restart with
              <code> docker compose up -d</code> and reload this page.
            </p>
          </>
        )}
      </section>
    </Layout>
  );
}

/** A single sign-on button on the sign-in page: the provider's name, and where it starts. */
export interface SsoButton {
  displayName: string;
  href: string;
}

/** The sign-in form; with `directory` (LDAP), the first field also takes a directory user name. */
export function LoginPage({
  error,
  email,
  info,
  next,
  sso,
  directory,
}: {
  error?: string;
  email?: string;
  info?: string;
  next?: string;
  sso?: SsoButton | undefined;
  directory?: boolean;
}) {
  return (
    <Layout title="Sign in">
      <section class="card">
        <h1>Sign in</h1>
        <Notice error={error} info={info} />
        {sso ? (
          <p>
            <a class="button" href={sso.href} data-testid="sso-login">
              Sign in with {sso.displayName}
            </a>
          </p>
        ) : null}
        <form method="post" action="/login" class="stack" data-testid="login-form">
          <input type="hidden" name="next" value={next ?? '/'} />
          <Field label={directory ? 'Email or user name' : 'Email'} name="email" type={directory ? 'text' : 'email'} value={email} autocomplete="username" />
          <Field label="Password" name="password" type="password" autocomplete="current-password" />
          <button type="submit">Sign in</button>
        </form>
        <p class="muted">Forgot your password? Ask an admin for a reset link.</p>
      </section>
    </Layout>
  );
}

/** Setting a password through an invite or reset link. */
export function SetPasswordPage({
  kind,
  token,
  email,
  error,
  activeKeys = 0,
}: {
  kind: 'invite' | 'reset';
  token: string;
  email: string;
  error?: string;
  activeKeys?: number;
}) {
  return (
    <Layout title={kind === 'invite' ? 'Welcome' : 'Reset password'}>
      <section class="card">
        <h1>{kind === 'invite' ? 'Welcome to Onsite' : 'Choose a new password'}</h1>
        <p>
          Account: <strong>{email}</strong>
        </p>
        {kind === 'reset' ? <p data-testid="reset-consequence">{describeReset(activeKeys)}</p> : null}
        <Notice error={error} />
        <form method="post" action={`/${kind}/${token}`} class="stack">
          <Field label="New password (at least 12 characters)" name="password" type="password" autocomplete="new-password" minlength={12} />
          <button type="submit">Set password</button>
        </form>
      </section>
    </Layout>
  );
}

/** A plain message page (setup closed, invalid link, forbidden…). */
export function MessagePage({ title, message, link }: { title: string; message: string; link?: { href: string; text: string } }) {
  return (
    <Layout title={title}>
      <section class="card">
        <h1>{title}</h1>
        <p data-testid="message">{message}</p>
        {link ? <a href={link.href}>{link.text}</a> : null}
      </section>
    </Layout>
  );
}
