// htmlDepth must agree with the parser it protects. htmlparser2 is not a
// direct dependency (html-to-text brings it); comparing against it here is
// what catches an html-to-text upgrade that changes its parsing rules.
import { Parser } from 'htmlparser2';
import { describe, expect, it } from 'vitest';
import { htmlDepth } from '../../../../server/knowledge/extract/html-depth.ts';
import { extractDocument } from '../../../../server/knowledge/extract/extract.ts';

/** The deepest stack htmlparser2 builds, with html-to-text's options. */
function parserDepth(html: string): number {
  let max = 0;
  const parser: Parser = new Parser(
    { onopentagname: () => (max = Math.max(max, (parser as unknown as { stack: string[] }).stack.length)) },
    { decodeEntities: true },
  );
  parser.end(html);
  return max;
}

const PIECES = [
  '<div>',
  '</div>',
  '<p>',
  '</p>',
  '</P>',
  '<li>',
  '<ul>',
  '</ul>',
  '<td>',
  '<tr>',
  '<table>',
  '<tbody>',
  '<svg>',
  '</svg>',
  '<path/>',
  '<div/>',
  '<br>',
  '</br>',
  '<hr>',
  '<script>',
  '</script>',
  '</SCRIPT >',
  '\x1C/script>',
  '</scriptx>',
  '<style>',
  '</style>',
  '<title>',
  '</title>',
  '<textarea>',
  '<xmp>',
  '</xmp>',
  '<!--',
  '-->',
  '<!-->',
  '<!--->',
  '<!- x>',
  '<!>',
  '<![CDATA[',
  ']]>',
  '<![CDA>',
  '<?php ?>',
  '</ div>',
  '</1>',
  '</>',
  '<a href="x>y">',
  "<b title='>'>",
  "<i t='<b><b>'>",
  '<i t="<u><u>">',
  '<i a=b/>',
  '<i a = "q" / >',
  '<span>',
  '</span>',
  '<math>',
  '<mi>',
  '</mi>',
  '<desc>',
  '</math>',
  'text',
  '&amp;',
  '&lt;',
  '<',
  '>',
  '"',
  "'",
  '/',
  ' ',
  '\n',
  '<x-y>',
  '</x-y>',
  '<DIV>',
  '</Div>',
  '<body>',
  '<head>',
  '<option>',
  '<select>',
  '<dd>',
  '<dt>',
  '<h1>',
  '</h1>',
  '!',
  '-',
  '=',
  'CDATA[',
];

describe('htmlDepth', () => {
  it('counts nesting as htmlparser2 builds it', () => {
    expect(htmlDepth('<html><body><div><p>x</p></div></body></html>')).toBe(4);
    expect(htmlDepth('<ul><li>a<li>b<li>c</ul>')).toBe(2); // li closes li
    expect(htmlDepth('<div/><div/><div/>')).toBe(3); // no self-closing in HTML
    expect(htmlDepth('<svg><path/><path/><path/></svg>')).toBe(2); // but in SVG
    expect(htmlDepth('<script>"<div><div><div>"</script><div>')).toBe(1);
    expect(htmlDepth('<!-- <div><div> --><!--><div>')).toBe(1);
    expect(htmlDepth(`<i t='<b><b>' u="<b><b>">`)).toBe(1); // markup inside quoted attributes is not parsed
  });

  it('agrees with htmlparser2 on thousands of tricky documents', () => {
    let seed = 42;
    const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let t = 0; t < 3000; t++) {
      let html = '';
      for (let i = 1 + Math.floor(rand() * 60); i > 0; i--) html += PIECES[Math.floor(rand() * PIECES.length)];
      expect([html, htmlDepth(html)]).toEqual([html, parserDepth(html)]);
    }
  });

  it('stops early and stays fast on absurd nesting', () => {
    const html = '<div>'.repeat(500_000);
    const started = performance.now();
    expect(htmlDepth(html, 256)).toBe(257);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('makes extraction refuse deep markup before parsing it', async () => {
    const started = performance.now();
    await expect(extractDocument(new TextEncoder().encode(`<html><body>${'<div>'.repeat(200_000)}x`), {})).rejects.toMatchObject({
      code: 'extract_failed',
      message: 'the HTML is nested more than 256 elements deep',
    });
    // htmlparser2 itself takes seconds on this.
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
