import MarkdownIt from 'markdown-it';

// Raw HTML off: a model's answer is text, never markup. Only web and mail links survive.
const md = new MarkdownIt({ html: false, linkify: false, typographer: false });
md.validateLink = (url) => /^(https?:|mailto:)/i.test(url.trim());

// Images would make the reader's browser fetch a remote address: show the alt text and link instead.
md.renderer.rules.image = (tokens, idx, _options, _env, self) => {
  const token = tokens[idx]!;
  const src = token.attrGet('src') ?? '';
  const alt = self.renderInlineAsText(token.children ?? [], _options, _env);
  return `<span class="md-image">[image: ${md.utils.escapeHtml(String(alt) || 'untitled')}${src ? ` ${md.utils.escapeHtml(String(src))}` : ''}]</span>`;
};

const defaultLinkOpen = md.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  tokens[idx]!.attrSet('rel', 'noopener noreferrer nofollow');
  tokens[idx]!.attrSet('target', '_blank');
  return defaultLinkOpen(tokens, idx, options, env, self);
};

/** Renders an answer's markdown to HTML that cannot carry script, raw HTML or remote images. */
export function renderMarkdown(text: string): string {
  return md.render(text);
}
