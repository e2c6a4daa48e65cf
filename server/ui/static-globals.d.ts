// Types for the UI's static scripts (server/ui/static/*.js), checked from their
// JSDoc by tsconfig.browser.json. The scripts are classic scripts sharing
// `window`: what one offers the others is declared here, with the shapes of
// the API answers they read (as JSON, so dates are strings and an unset
// field is absent). Kept beside static/, not in it: every file there is
// embedded in the binary.

/** A chat message as the conversations API returns it (server/chat/chat.service.ts, publicMessage). */
interface OnsiteMessage {
  id?: string;
  role: 'system' | 'user' | 'assistant';
  content?: string;
  /** The server's rendering of an assistant's markdown: the only markup the page ever inserts. */
  html?: string;
  status?: 'complete' | 'streaming' | 'failed' | 'stopped';
  error?: string | null;
  model?: string | null;
  truncated?: boolean;
  sources?: OnsiteSource[];
}

/** A web page or a document an answer drew on (server/db/schema/chat.ts, MessageSource). */
type OnsiteSource = OnsiteWebSource | OnsiteDocumentSource;

interface OnsiteWebSource {
  kind: 'web';
  url: string;
  finalUrl?: string;
  title?: string;
  truncated?: boolean;
  error?: { code: string; message: string };
}

interface OnsiteDocumentSource {
  kind: 'document';
  documentId: number;
  title: string;
  /** Absent for a whole document. */
  chunk?: number | null;
  truncated?: boolean;
}

/** A conversation as the API returns it; `messages` on GET /api/conversations/:id. */
interface OnsiteConversation {
  id: string;
  title: string;
  messages?: OnsiteMessage[];
}

/** What starts an answer's stream: the question as kept (absent on regenerate) and the answer to come. */
interface OnsiteStart {
  userMessage?: OnsiteMessage | null;
  assistant: OnsiteMessage;
}

/**
 * One event of an answer's stream (server/http/sse.ts), as `readEvents`
 * hands it on: the event's name, then its data. A `data` that is not JSON
 * arrives as `{ message }`, which only an error event expects.
 */
type OnsiteChatEvent =
  | [event: 'start', data: OnsiteStart]
  | [event: 'sources', data: { sources?: OnsiteSource[] }]
  | [event: 'token', data: { delta: string }]
  | [event: 'done', data: { message?: OnsiteMessage }]
  | [event: 'error', data: { code?: string; message?: string; partial?: OnsiteMessage }];

/** A document and its ingestion as the API returns it (server/knowledge/collections.views.ts, publicDocument). */
interface OnsiteDocument {
  id: number;
  title: string;
  format: string | null;
  sizeBytes: number;
  status: 'queued' | 'processing' | 'ready' | 'failed';
  stage: string;
  error: string | null;
  chunks: number;
  embeddedChunks: number;
  attempts: number;
  updatedAt: string;
}

/** The answer of POST /api/search (server/knowledge/search.routes.ts). */
interface OnsiteSearch {
  mode: string;
  notice: string | null;
  results: Array<{ documentId: number; collectionId: number; chunk: number; title: string; text: string }>;
}

/** Element attributes for `el`: names to string values. */
type OnsiteAttrs = Record<string, string>;

/** chat-api.js: the conversations API with the session's CSRF token. */
interface OnsiteChatApi {
  call(method: string, url: string, body?: unknown): Promise<Response>;
  /** The JSON body of an answer (null for 204); an error answer rejects with its message. The caller says what shape it expects. */
  json(method: string, url: string, body?: unknown): Promise<unknown>;
  errorText(res: Response): Promise<string>;
  isStream(res: Response): boolean;
  readEvents(res: Response, onEvent: (...event: OnsiteChatEvent) => void): Promise<void>;
  /** What a failed call says: an Error's message, or the value thrown. */
  messageOf(err: unknown): string;
}

/** chat-view.js: chat messages built as the server renders them. */
interface OnsiteChatView {
  el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: OnsiteAttrs, text?: string): HTMLElementTagNameMap[K];
  actionButton(label: string, action: string, kind?: string): HTMLButtonElement;
  markerText(m: OnsiteMessage): string;
  messageElement(m: OnsiteMessage, live: boolean): HTMLElement;
  placeholder(): HTMLElement;
  sourcesElement(sources: OnsiteSource[]): HTMLElement;
}

/** chat-knowledge.js: the collections ticked in the chat page's picker. */
interface OnsiteChatKnowledge {
  chosen(): number[];
}

/** knowledge-view.js: the knowledge base's elements built as the server renders them. */
interface OnsiteKnowledgeView {
  el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: OnsiteAttrs, text?: string): HTMLElementTagNameMap[K];
  formatBytes(n: number): string;
  progressText(d: OnsiteDocument): string;
  documentRow(d: OnsiteDocument, writable: boolean): HTMLTableRowElement;
  searchResults(query: string, out: OnsiteSearch, names: Map<number, string | undefined>): HTMLElement;
  csrfToken(): string;
}

interface Window {
  onsiteChatApi: OnsiteChatApi;
  onsiteChatView: OnsiteChatView;
  /** Only on the chat page with a knowledge picker. */
  onsiteChatKnowledge?: OnsiteChatKnowledge;
  onsiteKnowledgeView: OnsiteKnowledgeView;
}

/** app.js: the server's elements found by selector, checked to be of the kind named. */
interface OnsiteDom {
  one<T extends Element>(root: ParentNode, selector: string, type: new () => T): T;
  maybe<T extends Element>(root: ParentNode, selector: string, type: new () => T): T | undefined;
  all<T extends Element>(root: ParentNode, selector: string, type: new () => T): T[];
}

interface Window {
  onsiteDom: OnsiteDom;
}
