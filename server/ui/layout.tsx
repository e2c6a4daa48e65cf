/** @jsxImportSource hono/jsx */
import { raw } from 'hono/html';
import type { Child } from 'hono/jsx';
import type { Caller } from '../http/types.ts';
import { assetUrl } from './assets.ts';

/** Props of {@link Layout}. */
export interface LayoutProps {
  title: string;
  caller?: Caller | undefined;
  /** Extra static scripts (names in STATIC_FILES) this page loads after app.js. */
  scripts?: string[] | undefined;
  /** Wider page (the chat's two columns). */
  wide?: boolean | undefined;
  children?: Child;
}

/** The hidden form field carrying the session's CSRF token. */
export function CsrfField({ caller }: { caller?: Caller | undefined }) {
  return caller?.via === 'session' ? <input type="hidden" name="_csrf" value={caller.csrfToken} /> : null;
}

function Nav({ caller }: { caller: Caller }) {
  return (
    <nav>
      <a href="/chat" data-testid="chat-link">
        Chat
      </a>
      <a href="/collections" data-testid="documents-link">
        Documents
      </a>
      {caller.user.role === 'admin' ? (
        <>
          <a href="/admin/users">Users</a>
          <a href="/admin/groups">Groups</a>
          <a href="/admin/sign-in">Sign-in</a>
          <a href="/admin/miners">Miners</a>
          <a href="/admin/models">Models</a>
          <a href="/admin/usage">Usage</a>
          <a href="/admin/audit">Audit</a>
          <a href="/admin/license">License</a>
          <a href="/admin/system" data-testid="system-link">
            System
          </a>
        </>
      ) : null}
      <a href="/profile" data-testid="profile-link">
        {caller.user.name}
      </a>
      <form method="post" action="/logout" class="inline">
        <CsrfField caller={caller} />
        <button type="submit" class="link" data-testid="sign-out">
          Sign out
        </button>
      </form>
    </nav>
  );
}

/** The page shell: head with embedded assets only, header, main, footer. */
export function Layout({ title, caller, scripts, wide, children }: LayoutProps) {
  return (
    <>
      {raw('<!DOCTYPE html>')}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          {caller?.via === 'session' ? <meta name="csrf-token" content={caller.csrfToken} /> : null}
          <title>{`${title} · Onsite`}</title>
          <link rel="icon" href={assetUrl('logo.svg')} type="image/svg+xml" />
          <link rel="stylesheet" href={assetUrl('app.css')} />
          <script src={assetUrl('app.js')} defer></script>
          {(scripts ?? []).map((name) => (
            <script src={assetUrl(name)} defer></script>
          ))}
        </head>
        <body class={wide ? 'wide' : undefined}>
          <header class="top">
            <a class="brand" href="/">
              <img src={assetUrl('logo.svg')} alt="" width="24" height="24" />
              Onsite
            </a>
            {caller ? <Nav caller={caller} /> : null}
          </header>
          <main>{children}</main>
          <footer>Onsite runs entirely on this network.</footer>
        </body>
      </html>
    </>
  );
}

/** Props of {@link PostButton}. */
export interface PostButtonProps {
  caller: Caller;
  action: string;
  label: string;
  kind?: 'danger' | 'secondary';
  /** Hidden fields sent with the button. */
  fields?: Record<string, string>;
  /** A question app.js asks before the form is sent (for deletions). */
  confirm?: string | undefined;
}

/** A one-button form that posts to `action` with the CSRF token (and optional hidden fields). */
export function PostButton({ caller, action, label, kind, fields, confirm }: PostButtonProps) {
  return (
    <form method="post" action={action} class="inline" data-confirm={confirm}>
      <CsrfField caller={caller} />
      {Object.entries(fields ?? {}).map(([name, value]) => (
        <input type="hidden" name={name} value={value} />
      ))}
      <button type="submit" class={kind}>
        {label}
      </button>
    </form>
  );
}
