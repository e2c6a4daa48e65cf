import { describe, expect, it } from 'vitest';
import { extractDocument } from '../../../../server/knowledge/extract/extract.ts';
import { normaliseText } from '../../../../server/knowledge/extract/normalise.ts';

const utf8 = (s: string) => new TextEncoder().encode(s);

function utf16(s: string, endian: 'le' | 'be'): Uint8Array {
  const out = new Uint8Array(2 + s.length * 2);
  out.set(endian === 'le' ? [0xff, 0xfe] : [0xfe, 0xff]);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out[2 + 2 * i + (endian === 'le' ? 0 : 1)] = c & 0xff;
    out[2 + 2 * i + (endian === 'le' ? 1 : 0)] = c >> 8;
  }
  return out;
}

describe('plain text and markdown', () => {
  it('decodes UTF-8 with and without a BOM', async () => {
    const doc = await extractDocument(utf8('\uFEFFCafé crème — naïve'), { filename: 'a.txt' });
    expect(doc).toEqual({ format: 'txt', title: undefined, text: 'Café crème — naïve' });
    expect((await extractDocument(utf8('Ωmega 😀'), {})).text).toBe('Ωmega 😀');
  });

  it('decodes UTF-16 little- and big-endian with a BOM', async () => {
    const text = 'Grüße aus Köln\r\nZweite Zeile 😀';
    for (const endian of ['le', 'be'] as const) {
      const doc = await extractDocument(utf16(text, endian), { filename: 'notes.txt' });
      expect(doc.format).toBe('txt');
      expect(doc.text).toBe('Grüße aus Köln\nZweite Zeile 😀');
    }
  });

  it('keeps markdown as written and takes the first # heading as title', async () => {
    const md = '<!-- front -->\nIntro line\n\n```sh\n# not a title\n```\n\n# Install guide #\n\n## Steps\n\n- one\n- two\n';
    const doc = await extractDocument(utf8(md), { filename: 'guide.md' });
    expect(doc.format).toBe('md');
    expect(doc.title).toBe('Install guide');
    expect(doc.text).toBe(md.trim());
  });

  it('gives markdown without a level-one heading no title', async () => {
    expect((await extractDocument(utf8('## Sub only\n\ntext'), { filename: 'a.md' })).title).toBeUndefined();
  });
});

describe('html', () => {
  const page = `<!DOCTYPE html>
<html><head><title>Travel &amp; expenses policy</title>
<style>body { font-family: sans-serif }</style>
<script>window.secret = "do-not-index";</script></head>
<body>
<nav><a href="/">Home</a> <a href="/hr">HR</a></nav>
<h1>Expenses</h1>
<p>Claims are filed within <b>30 days</b> through the <a href="https://intranet/claims">claims portal</a>.</p>
<h2>Hotels</h2>
<p>Up to 150&nbsp;EUR a night.</p>
<ul><li>Receipt</li><li>Booking</li></ul>
<script>track("view")</script><noscript>Enable JavaScript</noscript>
</body></html>`;

  it('drops scripts, styles and navigation and keeps headings as paragraphs', async () => {
    const doc = await extractDocument(utf8(page), { filename: 'policy.htm', declaredType: 'text/html' });
    expect(doc.format).toBe('html');
    expect(doc.title).toBe('Travel & expenses policy');
    expect(doc.text).toBe(
      'Expenses\n\nClaims are filed within 30 days through the claims portal.\n\nHotels\n\nUp to 150\u00a0EUR a night.\n\n * Receipt\n * Booking',
    );
    for (const gone of ['secret', 'font-family', 'track', 'Home', 'Enable JavaScript', 'https://intranet']) expect(doc.text).not.toContain(gone);
  });

  it('takes the first h1 when there is no title', async () => {
    const doc = await extractDocument(utf8('<html><body><h1>Fire <em>drill</em></h1><p>Meet outside.</p></body></html>'), {});
    expect(doc.title).toBe('Fire drill');
    expect(doc.text).toBe('Fire drill\n\nMeet outside.');
  });

  it('refuses a page with only scripts', async () => {
    await expect(extractDocument(utf8('<html><body><script>var a = 1;</script></body></html>'), {})).rejects.toMatchObject({
      code: 'extract_failed',
      message: 'the HTML page has no text',
    });
  });
});

describe('normaliseText', () => {
  it('unifies line ends, strips controls and collapses blank lines', () => {
    expect(normaliseText('\n  a\r\nb\rc\u0000d\u0007e\tf\u0085\n\n\n\n \t \ng\fh\u2028i  \n')).toBe('a\nb\ncde\tf\n\ng\nh\ni');
  });

  it('composes decomposed characters (NFC)', () => {
    expect(normaliseText('Cafe\u0301')).toBe('Café');
  });
});
