import { readEmbedded } from '../kernel/embedded.ts';
import { sha256Hex } from '../kernel/secrets.ts';

/** The UI's static files (in server/ui/static), each embedded in the binary. */
export const STATIC_FILES: Readonly<Record<string, string>> = {
  'app.css': 'text/css; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'chat-api.js': 'text/javascript; charset=utf-8',
  'chat-knowledge.js': 'text/javascript; charset=utf-8',
  'chat-view.js': 'text/javascript; charset=utf-8',
  'chat.js': 'text/javascript; charset=utf-8',
  'knowledge-view.js': 'text/javascript; charset=utf-8',
  'knowledge.js': 'text/javascript; charset=utf-8',
  'logo.svg': 'image/svg+xml',
};

/** One static file, loaded once. */
export interface StaticAsset {
  body: Uint8Array<ArrayBuffer>;
  contentType: string;
  /** Content hash, used as ETag and as the `?v=` cache-buster in links. */
  etag: string;
}

const cache = new Map<string, StaticAsset>();

/** Returns a static file by name, or undefined when it is not one of ours. */
export function staticAsset(name: string): StaticAsset | undefined {
  // Own keys only: `constructor` or `__proto__` would otherwise find Object.prototype's.
  const contentType = Object.hasOwn(STATIC_FILES, name) ? STATIC_FILES[name] : undefined;
  if (!contentType) return undefined;
  let asset = cache.get(name);
  if (!asset) {
    const body = readEmbedded(`server/ui/static/${name}`);
    asset = { body: Uint8Array.from(body), contentType, etag: sha256Hex(body).slice(0, 16) };
    cache.set(name, asset);
  }
  return asset;
}

/** URL of a static file with its content hash, so browsers may cache it for good. */
export function assetUrl(name: string): string {
  return `/static/${name}?v=${staticAsset(name)?.etag ?? '0'}`;
}
