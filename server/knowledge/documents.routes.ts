import { Hono } from 'hono';
import type { KnowledgeService } from './collections.service.ts';
import { publicDocument } from './collections.views.ts';
import { requireUser } from '../http/middleware/guards.ts';
import type { AppEnv } from '../http/types.ts';
import { pathId, knowledgeCallerOf } from './collections.schemas.ts';

/** `/api/documents/:id`: one document's status, its text and chunks (what citations link to), delete, retry. */
export function documentsRoutes(knowledge: KnowledgeService) {
  return new Hono<AppEnv>()
    .use(requireUser)
    .get('/:id', (c) => {
      const { doc } = knowledge.get(knowledgeCallerOf(c), pathId(c));
      return c.json(publicDocument(doc, knowledge.job(doc.id)));
    })
    .get('/:id/content', (c) => {
      const { text, chunks } = knowledge.content(knowledgeCallerOf(c), pathId(c));
      return c.json({
        text: text ?? null,
        chunks: chunks.map((k) => ({ seq: k.seq, startChar: k.startChar, endChar: k.endChar, tokens: k.tokens, text: k.text })),
      });
    })
    .post('/:id/retry', (c) => {
      const doc = knowledge.retry(knowledgeCallerOf(c), pathId(c));
      return c.json(publicDocument(doc, knowledge.job(doc.id)), 202);
    })
    .delete('/:id', (c) => {
      knowledge.deleteDocument(knowledgeCallerOf(c), pathId(c));
      return c.body(null, 204);
    });
}
