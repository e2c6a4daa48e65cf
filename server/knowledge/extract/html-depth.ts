/**
 * How deep htmlparser2, the parser under html-to-text, will nest a
 * document, measured in one linear pass before it parses anything.
 *
 * Why: htmlparser2 10 keeps its open elements in an array that it unshifts
 * and searches, so parsing costs the sum of the depths. 200,000 unclosed
 * <div>s (1.2 MB) take 8 s; a 25 MB upload could hold the server's only
 * thread for hours. Refusing deep documents first bounds that cost.
 *
 * The scan follows htmlparser2's tokenizer (comments and their short forms,
 * declarations, CDATA, raw-text elements and how their end tags match,
 * attribute quoting) and its tree rules (void elements, implied closes,
 * self-closing only in SVG and MathML), so markup cannot hide depth from it.
 */

const P = ['p'];
const FORM = ['input', 'option', 'optgroup', 'select', 'button', 'datalist', 'textarea'];
const IMPLIES_CLOSE = new Map<string, Set<string>>(
  [
    ['tr', ['tr', 'th', 'td']],
    ['th', ['th']],
    ['td', ['thead', 'th', 'td']],
    ['body', ['head', 'link', 'script']],
    ['li', ['li']],
    ['option', ['option']],
    ['optgroup', ['optgroup', 'option']],
    ['dd', ['dd', 'dt']],
    ['dt', ['dd', 'dt']],
    ['rt', ['rt', 'rp']],
    ['rp', ['rt', 'rp']],
    ['tbody', ['thead', 'tbody']],
    ['tfoot', ['thead', 'tbody']],
    ...['select', 'input', 'output', 'button', 'datalist', 'textarea'].map((t) => [t, FORM] as [string, string[]]),
    ...[
      'p',
      'h1',
      'h2',
      'h3',
      'h4',
      'h5',
      'h6',
      'address',
      'article',
      'aside',
      'blockquote',
      'details',
      'div',
      'dl',
      'fieldset',
      'figcaption',
      'figure',
      'footer',
      'form',
      'header',
      'hr',
      'main',
      'nav',
      'ol',
      'pre',
      'section',
      'table',
      'ul',
    ].map((t) => [t, P] as [string, string[]]),
  ].map(([tag, closes]) => [tag as string, new Set(closes)]),
);
const VOID = new Set([
  'area',
  'base',
  'basefont',
  'br',
  'col',
  'command',
  'embed',
  'frame',
  'hr',
  'img',
  'input',
  'isindex',
  'keygen',
  'link',
  'meta',
  'param',
  'source',
  'track',
  'wbr',
]);
const FOREIGN = new Set(['math', 'svg']);
const INTEGRATION = new Set(['mi', 'mo', 'mn', 'ms', 'mtext', 'annotation-xml', 'foreignobject', 'desc', 'title']);
const RAW_TEXT = new Set(['script', 'style', 'title', 'textarea', 'xmp']);

const GT = 0x3e;
const LT = 0x3c;
const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0c || c === 0x0d;
const endsName = (c: number): boolean => c === 0x2f || c === GT || isSpace(c);
const isAlpha = (c: number): boolean => (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a;

/**
 * The deepest nesting htmlparser2 reaches in `html`. Stops counting once
 * past `stopAbove`, so the scan stays linear however deep the document.
 */
export function htmlDepth(html: string, stopAbove = Number.POSITIVE_INFINITY): number {
  const n = html.length;
  const code = (at: number): number => html.charCodeAt(at);
  const after = (what: string, from: number): number => {
    const at = html.indexOf(what, from);
    return at < 0 ? n : at + what.length;
  };
  const stack: string[] = []; // innermost last
  const foreign: boolean[] = [false];
  let max = 0;

  const open = (name: string): void => {
    const implied = IMPLIES_CLOSE.get(name);
    if (implied) while (stack.length > 0 && implied.has(stack[stack.length - 1]!)) stack.pop();
    if (VOID.has(name)) return;
    stack.push(name);
    if (FOREIGN.has(name)) foreign.push(true);
    else if (INTEGRATION.has(name)) foreign.push(false);
    max = Math.max(max, stack.length);
  };
  const close = (name: string): void => {
    if (FOREIGN.has(name) || INTEGRATION.has(name)) foreign.pop();
    if (VOID.has(name)) return;
    const at = stack.lastIndexOf(name);
    if (at >= 0) stack.length = at;
    else if (name === 'p') max = Math.max(max, stack.length + 1); // an implied <p></p>
  };

  // The end of a raw-text element as htmlparser2 matches it: `</name` then space or `>`,
  // compared with (c | 0x20), skipping ahead to the next `<` outside <title>.
  const rawEnd = (from: number, name: string): number => {
    const seq = `</${name}`;
    let k = 0;
    for (let p = from; p < n; p++) {
      const c = code(p);
      if (k === seq.length) {
        if (c === GT || isSpace(c)) return p;
        k = 0;
      }
      if ((c | 0x20) === seq.charCodeAt(k)) k++;
      else if (k === 0 && name !== 'title') {
        p = html.indexOf('<', p + 1);
        if (p < 0) return n;
        k = 1;
      } else if (k !== 0) k = c === LT ? 1 : 0;
    }
    return n;
  };

  const openTag = (start: number): number => {
    let e = start;
    while (e < n && !endsName(code(e))) e++;
    if (e >= n) return n; // a name cut off by the end of input is text
    const name = html.slice(start, e).toLowerCase();
    open(name);
    // Attributes: 0 before a name, 1 after `/`, 2 in a name, 3 after a name, 4 before a value, 5 unquoted value.
    let state = 0;
    for (let j = e; j < n;) {
      const c = code(j);
      if (state === 0) {
        if (c === GT) {
          if (!RAW_TEXT.has(name)) return j + 1;
          const end = rawEnd(j + 1, name);
          if (end >= n) return n;
          close(name);
          return code(end) === GT ? end + 1 : after('>', end + 1);
        }
        if (c === 0x2f) state = 1;
        else if (!isSpace(c)) state = 2;
        j++;
      } else if (state === 1) {
        if (c === GT) {
          if (foreign[foreign.length - 1] && stack[stack.length - 1] === name) stack.pop();
          return j + 1;
        }
        if (!isSpace(c)) state = 0;
        else j++;
      } else if (state === 2) {
        if (c === 0x3d || endsName(c)) state = 3;
        else j++;
      } else if (state === 3) {
        if (c === 0x2f || c === GT) state = 0;
        else {
          if (c === 0x3d) state = 4;
          else if (!isSpace(c)) state = 2;
          j++;
        }
      } else if (state === 4) {
        if (c === 0x22 || c === 0x27) {
          j = after(c === 0x22 ? '"' : "'", j + 1);
          state = 0;
        } else if (!isSpace(c)) state = 5;
        else j++;
      } else if (isSpace(c) || c === GT) state = 0;
      else j++;
    }
    return n;
  };

  const closeTag = (start: number): number => {
    let j = start;
    while (j < n && isSpace(code(j))) j++;
    if (j >= n) return n;
    if (code(j) === GT) return j + 1;
    if (!isAlpha(code(j))) return after('>', j + 1); // a bogus comment
    let e = j;
    while (e < n && code(e) !== GT && !isSpace(code(e))) e++;
    if (e >= n) return n;
    close(html.slice(j, e).toLowerCase());
    return code(e) === GT ? e + 1 : after('>', e + 1);
  };

  const declaration = (lt: number): number => {
    if (html.startsWith('<!--', lt)) return after('-->', lt + 2); // `<!-->` and `<!--->` are whole comments
    if (html.startsWith('<!-', lt)) return after('>', lt + 4);
    if (code(lt + 2) === 0x5b) {
      let k = 0;
      while (k < 6 && code(lt + 3 + k) === 'CDATA['.charCodeAt(k)) k++;
      return k === 6 ? after(']]>', lt + 9) : after('>', lt + 3 + k);
    }
    return after('>', lt + 3);
  };

  for (let i = 0; i < n && max <= stopAbove;) {
    const lt = html.indexOf('<', i);
    if (lt < 0 || lt + 1 >= n) break;
    const c = code(lt + 1);
    if (c === 0x21) i = declaration(lt);
    else if (c === 0x3f) i = after('>', lt + 2);
    else if (c === 0x2f) i = closeTag(lt + 2);
    else if (isAlpha(c)) i = openTag(lt + 1);
    else i = lt + 1;
  }
  return max;
}
