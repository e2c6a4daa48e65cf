import type { PageFetcher } from '../../browser-client/browser-client.service.ts';
import type { Clock } from '../../kernel/clock.ts';
import { AppError } from '../../kernel/errors.ts';
import { chunkText } from '../chunking/chunker.ts';
import { extractIsolated } from '../extract/isolate.ts';
import type { ExtractLimits } from '../extract/limits.ts';
import type { DocumentsStore } from '../store/documents.store.ts';
import type { DocumentRow, VectorSpace } from '../knowledge.types.ts';
import type { VectorsStore } from '../store/vectors.store.ts';

/** Embeds texts with a model on behalf of a user; vectors in input order. */
export type Embedder = (userId: string, model: string, texts: string[], signal: AbortSignal) => Promise<number[][]>;

/** What the ingestion steps need. */
export interface StepDeps {
  documents: DocumentsStore;
  vectors: VectorsStore;
  embed: Embedder;
  pages?: PageFetcher | undefined;
  clock: Clock;
  chunking: { sizeTokens: number; overlapTokens: number };
  /** Bounds on reading one upload, which happens in a process of its own. */
  extraction: ExtractLimits;
  /** Chunks per embedding request. */
  batchSize: number;
}

const TITLE_MAX = 300;

/**
 * Step 1: the document's text, extracted once. An upload's bytes are read
 * from `document_files` (and dropped once the text is stored, in the same
 * transaction) and parsed in a bounded child process (extract/isolate.ts);
 * a URL import is read through the browser sidecar. Skipped
 * when the text is already stored (a resumed job).
 */
export async function extractStep(d: StepDeps, doc: DocumentRow, signal: AbortSignal): Promise<string> {
  const stored = d.documents.text(doc.id);
  if (stored !== undefined) return stored;
  let text: string;
  let title: string | undefined;
  let format: string;
  if (doc.sourceUrl) {
    if (!d.pages) throw new AppError('browser_unavailable', 'the browser service is not configured, so web pages cannot be imported');
    const page = await d.pages.fetchPage({ url: doc.sourceUrl }, { signal });
    text = page.text.trim();
    title = page.title.trim() || undefined;
    format = 'html';
    if (!text) throw new AppError('extract_failed', `the page ${page.finalUrl} has no readable text`);
  } else {
    const file = d.documents.file(doc.id);
    if (!file) throw new AppError('extract_failed', 'the uploaded file is missing; upload it again');
    const out = await extractIsolated(file.bytes, { filename: doc.filename ?? undefined, declaredType: file.declaredType ?? undefined }, d.extraction, signal);
    text = out.text;
    title = out.title;
    format = out.format;
    if (!text.trim()) throw new AppError('extract_failed', 'the document contains no text');
  }
  const now = new Date(d.clock());
  d.documents.transaction(() => {
    d.documents.saveText(doc.id, text);
    d.documents.dropFile(doc.id);
    const better = doc.sourceUrl || !doc.filename || doc.title === doc.filename;
    d.documents.update(doc.id, { format, ...(title && better ? { title: title.slice(0, TITLE_MAX) } : {}), updatedAt: now });
  });
  return text;
}

/**
 * Step 2: chunks, stored with their FTS rows in one transaction (replacing
 * any a crash left half-written). Skipped when the chunks exist: the
 * document becomes keyword-searchable here, before any vector is made.
 */
export function chunkStep(d: StepDeps, doc: DocumentRow, text: string): number {
  const existing = d.documents.chunkIds(doc.id).length;
  if (existing > 0 && existing === doc.chunkCount) return existing;
  const size = d.chunking.sizeTokens;
  const pieces = chunkText(text, { sizeTokens: size, overlapTokens: Math.min(d.chunking.overlapTokens, Math.floor(size / 2)) });
  const tokens = pieces.reduce((n, c) => n + c.tokens, 0);
  d.documents.transaction(() => {
    d.vectors.forget(d.documents.chunkIds(doc.id));
    d.documents.replaceChunks(
      doc.id,
      pieces.map((c) => ({
        documentId: doc.id,
        collectionId: doc.collectionId,
        seq: c.index,
        text: c.text,
        startChar: c.startChar,
        endChar: c.endChar,
        tokens: c.tokens,
      })),
    );
    d.documents.update(doc.id, { chunkCount: pieces.length, embeddedChunks: 0, tokenCount: tokens, stage: 'embed', updatedAt: new Date(d.clock()) });
  });
  return pieces.length;
}

/**
 * Step 3: vectors for the chunks that have none in `space` yet, in
 * batches, each batch committed with its bookkeeping, so a restart resumes
 * after the last committed batch and never stores a chunk twice.
 * Batches without `documentId` may span documents (filling a new space).
 * `onBatch` reports progress.
 */
export async function embedStep(
  d: StepDeps,
  space: VectorSpace,
  signal: AbortSignal,
  documentId?: number,
  onBatch?: (stored: number) => void,
): Promise<number> {
  let total = 0;
  for (;;) {
    signal.throwIfAborted();
    const batch = d.vectors.pending(space.id, d.batchSize, documentId);
    if (batch.length === 0) return total;
    // The ledger attributes embedding work to whoever added the document.
    const owner = d.documents.get(batch[0]!.documentId)?.createdBy;
    if (!owner) throw new AppError('extract_failed', 'the document was added by an account that no longer exists');
    const vectors = await d.embed(
      owner,
      space.model,
      batch.map((c) => c.text),
      signal,
    );
    if (vectors.length !== batch.length) throw new AppError('generation_failed', `the embedder returned ${vectors.length} vectors for ${batch.length} texts`);
    const wrong = vectors.find((v) => v.length !== space.dimensions);
    if (wrong) {
      throw new AppError(
        'embedding_dimension_mismatch',
        `${space.model} returned ${wrong.length}-dimension vectors, but this knowledge base indexes it with ${space.dimensions}; set the model's dimensions on the Models page to what it produces`,
      );
    }
    const stored = d.vectors.store(
      space,
      batch.map((c, i) => ({ chunkId: c.id, collectionId: c.collectionId, vector: unit(vectors[i]!) })),
    );
    total += stored;
    onBatch?.(stored);
  }
}

// The layouts rank by L2, which equals cosine ranking only for unit vectors;
// most embedders return unit vectors, but not all (and not always exactly).
function unit(v: number[]): Float32Array {
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm) || 1;
  return Float32Array.from(v, (x) => x / norm);
}
