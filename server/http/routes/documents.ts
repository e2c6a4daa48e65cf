import { Hono } from 'hono';
import type { KnowledgeService } from '../../knowledge/service.ts';
import { publicDocument } from '../../knowledge/views.ts';
import { requireUser } from '../middleware/guards.ts';
import type { AppEnv } from '../types.ts';
import { pathId, readerOf } from '../knowledge-request.ts';

/** `/api/documents/:id`: one document's status, its text and chunks (what citations link to), delete, retry. */
export function documentRoutes(knowledge: KnowledgeService) {
  return new Hono<AppEnv>()
    .use(requireUser)
    .get('/:id', (c) => {
      const { doc } = knowledge.get(readerOf(c), pathId(c));
      return c.json(publicDocument(doc, knowledge.job(doc.id)));
    })
    .get('/:id/content', (c) => {
      const { text, chunks } = knowledge.content(readerOf(c), pathId(c));
      return c.json({ text: text ?? null, chunks: chunks.map((k) => ({ seq: k.seq, startChar: k.startChar, endChar: k.endChar, tokens: k.tokens, text: k.text })) });
    })
    .post('/:id/retry', (c) => {
      const doc = knowledge.retry(readerOf(c), pathId(c));
      return c.json(publicDocument(doc, knowledge.job(doc.id)), 202);
    })
    .delete('/:id', (c) => {
      knowledge.deleteDocument(readerOf(c), pathId(c));
      return c.body(null, 204);
    });
}
