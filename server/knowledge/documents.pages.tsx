/** @jsxImportSource hono/jsx */
import { Hono, type Context } from 'hono';
import { publicCollection, publicDocument } from './collections.views.ts';
import { callerOf } from '../http/middleware/guards.ts';
import { pathId, knowledgeCallerOf } from './collections.schemas.ts';
import type { AppEnv } from '../http/types.ts';
import { DocumentPage } from './documents.page.tsx';
import { pageUser } from '../ui/guards.ts';
import { knowledgeRenderers, type KnowledgePagesDeps } from './collections-render.pages.tsx';

/**
 * `/documents/:id`: a document's text by chunk (what citations link to),
 * and its actions: retry, delete, and summarise (a new conversation given
 * the whole document).
 */
export function documentsPages(deps: KnowledgePagesDeps) {
  const { service } = deps.knowledge;
  const { list, one, attempt, onList } = knowledgeRenderers(deps);
  // A failed action shows on the document's collection page, or on the list when it is gone.
  const onDocument = (c: Context<AppEnv>) => (error: string, status: number) => {
    try {
      return one(c, service.get(knowledgeCallerOf(c), pathId(c)).doc.collectionId, { error }, status);
    } catch {
      return list(c, { error }, status);
    }
  };
  return new Hono<AppEnv>()
    .use(pageUser)
    .get('/:id', (c) =>
      attempt(() => {
        const r = knowledgeCallerOf(c);
        const { doc, collection } = service.get(r, pathId(c));
        const { text, chunks } = service.content(r, doc.id);
        return c.html(
          <DocumentPage
            caller={callerOf(c)}
            document={publicDocument(doc, service.job(doc.id))}
            collection={publicCollection(collection)}
            text={text ?? undefined}
            chunks={chunks}
          />,
        );
      }, onList(c)),
    )
    .post('/:id/retry', (c) => attempt(() => c.redirect(`/collections/${service.retry(knowledgeCallerOf(c), pathId(c)).collectionId}`, 303), onDocument(c)))
    .post('/:id/delete', (c) =>
      attempt(() => {
        const { doc } = service.get(knowledgeCallerOf(c), pathId(c));
        service.deleteDocument(knowledgeCallerOf(c), doc.id);
        return c.redirect(`/collections/${doc.collectionId}`, 303);
      }, onDocument(c)),
    )
    .post('/:id/summarise', (c) =>
      attempt(() => {
        const { doc } = service.get(knowledgeCallerOf(c), pathId(c));
        const conversation = deps.chat.create(callerOf(c).user.id, {
          title: `Summary: ${doc.title}`.slice(0, 200),
          knowledge: { collectionIds: [], documentId: doc.id },
        });
        return c.redirect(`/chat/${conversation.id}`, 303);
      }, onDocument(c)),
    );
}
