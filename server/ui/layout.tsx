/** @jsxImportSource hono/jsx */
import { raw } from 'hono/html';
import type { Child } from 'hono/jsx';
import { assetUrl } from './assets.ts';

/** Props of {@link Layout}. */
export interface LayoutProps {
  title: string;
  children?: Child;
}

/** The page shell: head with embedded assets only, header, main, footer. */
export function Layout({ title, children }: LayoutProps) {
  return (
    <>
    {raw('<!DOCTYPE html>')}
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${title} · Onsite`}</title>
        <link rel="icon" href={assetUrl('logo.svg')} type="image/svg+xml" />
        <link rel="stylesheet" href={assetUrl('app.css')} />
        <script src={assetUrl('app.js')} defer></script>
      </head>
      <body>
        <header class="top">
          <a class="brand" href="/">
            <img src={assetUrl('logo.svg')} alt="" width="24" height="24" />
            Onsite
          </a>
        </header>
        <main>{children}</main>
        <footer>Onsite runs entirely on this network.</footer>
      </body>
    </html>
    </>
  );
}
