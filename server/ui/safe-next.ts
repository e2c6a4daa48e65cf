// Parsed against a base that is never served, so only a same-origin path keeps its origin.
const BASE = 'http://onsite.invalid';
const MAX_LENGTH = 500;
// Rounds of percent-decoding checked; a value still changing after them is refused.
const DECODE_ROUNDS = 3;

// What browsers drop from URLs before parsing (`/\t/evil` becomes `//evil`).
const STRIPPED = /[\t\n\r]/g;
const hasControl = (v: string) => [...v].some((ch) => ch < ' ' || ch === '\u007f');

// A path that cannot be read as another host: one slash, not two, and no backslash after it
// (browsers treat `\` as `/`, so `/\evil` is `//evil`).
const isLocalPath = (p: string) => p.startsWith('/') && p[1] !== '/' && p[1] !== '\\';

/**
 * The redirect target a request asked for (`next`), when it is a path on
 * this site; otherwise `fallback`. The value is normalised the way a browser
 * would read it (dot segments, `%2e`), and must then still be a single-slash
 * path; it is also decoded up to three more times, as a proxy or a browser
 * might, and must stay one at every step. Backslashes, control characters,
 * schemes and protocol-relative forms are refused. What comes back is the
 * normalised path, query and fragment (`/chat?x=1#y`).
 */
export function safeNext(next: unknown, fallback = '/'): string {
  if (typeof next !== 'string' || next.length > MAX_LENGTH || next.includes('\\') || hasControl(next)) return fallback;
  const normalised = localPath(next);
  if (normalised === undefined) return fallback;
  let current = normalised;
  for (let round = 0; round <= DECODE_ROUNDS; round++) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(current);
    } catch {
      return fallback; // malformed escapes: nothing a link of ours makes
    }
    if (decoded === current) return normalised;
    if (round === DECODE_ROUNDS || localPath(decoded.replace(STRIPPED, '')) === undefined) return fallback;
    current = decoded;
  }
  return fallback;
}

// The path, query and fragment `value` resolves to on this site, or undefined when it names another.
function localPath(value: string): string | undefined {
  if (!isLocalPath(value)) return undefined;
  let url: URL;
  try {
    url = new URL(value, BASE);
  } catch {
    return undefined;
  }
  const path = `${url.pathname}${url.search}${url.hash}`;
  return url.origin === BASE && isLocalPath(path) ? path : undefined;
}
