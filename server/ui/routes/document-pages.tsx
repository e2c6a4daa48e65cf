/** @jsxImportSource hono/jsx */
import { Hono, type Context } from 'hono';
import { publicCollection, publicDocument } from '../../knowledge/views.ts';
import { callerOf } from '../../http/middleware/guards.ts';
import { pathId, readerOf } from '../../http/knowledge-request.ts';
import type { AppEnv } from '../../http/types.ts';
import { DocumentPage } from '../pages/document.tsx';
import { pageUser } from './guards.ts';
import { knowledgeRenderers, type KnowledgePagesDeps } from './knowledge-render.tsx';

/**
 * `/documents/:id`: a document's text by chunk (what citations link to),
 * and its actions: retry, delete, and summarise (a new conversation given
 * the whole document).
 */
export function documentPages(deps: KnowledgePagesDeps) {
  const { service } = deps.knowledge;
  const { list, one, attempt, onList } = knowledgeRenderers(deps);
  // A failed action shows on the document's collection page, or on the list when it is gone.
  const onDocument = (c: Context<AppEnv>) => (error: string, status: number) => {
    try {
      return one(c, service.get(readerOf(c), pathId(c)).doc.collectionId, { error }, status);
    } catch {
      return list(c, { error }, status);
    }
  };
  return new Hono<AppEnv>()
    .use(pageUser)
    .get('/:id', (c) =>
      attempt(() => {
        const r = readerOf(c);
        const { doc, collection } = service.get(r, pathId(c));
        const { text, chunks } = service.content(r, doc.id);
        return c.html(<DocumentPage caller={callerOf(c)} document={publicDocument(doc, service.job(doc.id))} collection={publicCollection(collection)} text={text ?? undefined} chunks={chunks} />);
      }, onList(c)),
    )
    .post('/:id/retry', (c) => attempt(() => c.redirect(`/collections/${service.retry(readerOf(c), pathId(c)).collectionId}`, 303), onDocument(c)))
    .post('/:id/delete', (c) =>
      attempt(() => {
        const { doc } = service.get(readerOf(c), pathId(c));
        service.deleteDocument(readerOf(c), doc.id);
        return c.redirect(`/collections/${doc.collectionId}`, 303);
      }, onDocument(c)),
    )
    .post('/:id/summarise', (c) =>
      attempt(() => {
        const { doc } = service.get(readerOf(c), pathId(c));
        const conversation = deps.chat.create(callerOf(c).user.id, { title: `Summary: ${doc.title}`.slice(0, 200), knowledge: { collectionIds: [], documentId: doc.id } });
        return c.redirect(`/chat/${conversation.id}`, 303);
      }, onDocument(c)),
    );
}
