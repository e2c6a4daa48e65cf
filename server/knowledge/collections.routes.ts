import { Hono, type Context } from 'hono';
import { AppError } from '../kernel/errors.ts';
import type { KnowledgeService } from './collections.service.ts';
import { publicCollection, publicDocument } from './collections.views.ts';
import { pathId, knowledgeCallerOf } from './collections.schemas.ts';
import { collectionBody, collectionPatchBody, collectionSharesBody, importUrlBody } from './collections.schemas.ts';
import { requireUser } from '../http/middleware/guards.ts';
import type { AppEnv } from '../http/types.ts';
import { jsonBody } from '../http/validate.ts';

// Files of one multipart upload: every `file` field (several allowed).
async function uploadedFiles(c: Context<AppEnv>): Promise<File[]> {
  let form: FormData;
  try {
    form = await c.req.formData();
  } catch {
    throw new AppError('validation_failed', 'the body must be multipart/form-data with one or more `file` fields');
  }
  const files = form.getAll('file').filter((f): f is File => typeof f !== 'string');
  if (files.length === 0) throw new AppError('validation_failed', 'no file: send one or more `file` fields');
  return files;
}

/**
 * `/api/collections`: the caller's readable collections; documents are
 * added by multipart upload (`file` fields) or as `{"url"}` to import a web
 * page, and ingested in the background (202 with their status).
 */
export function collectionsRoutes(knowledge: KnowledgeService) {
  return new Hono<AppEnv>()
    .use(requireUser)
    .get('/', (c) => c.json({ collections: knowledge.list(knowledgeCallerOf(c)).map(publicCollection) }))
    .post('/', async (c) => c.json(publicCollection(knowledge.create(knowledgeCallerOf(c), await jsonBody(c, collectionBody))), 201))
    .get('/:id', (c) => {
      const r = knowledgeCallerOf(c);
      const collection = knowledge.readable(r, pathId(c));
      return c.json({ ...publicCollection(collection), documents: knowledge.documents(r, collection.id).map((d) => publicDocument(d, knowledge.job(d.id))) });
    })
    .patch('/:id', async (c) => c.json(publicCollection(knowledge.update(knowledgeCallerOf(c), pathId(c), await jsonBody(c, collectionPatchBody)))))
    .delete('/:id', (c) => {
      knowledge.remove(knowledgeCallerOf(c), pathId(c));
      return c.body(null, 204);
    })
    .get('/:id/access', (c) => c.json({ readers: knowledge.readers(knowledgeCallerOf(c), pathId(c)) }))
    .get('/:id/shares', (c) => c.json({ shares: knowledge.shares(knowledgeCallerOf(c), pathId(c)) }))
    .put('/:id/shares', async (c) => c.json({ shares: knowledge.share(knowledgeCallerOf(c), pathId(c), (await jsonBody(c, collectionSharesBody)).shares) }))
    .post('/:id/documents', async (c) => {
      const r = knowledgeCallerOf(c);
      const id = pathId(c);
      // Before the body is read: a caller who may not add documents gets 403/404 without uploading 25 MB.
      knowledge.writable(r, id);
      if ((c.req.header('content-type') ?? '').startsWith('application/json')) {
        const doc = knowledge.importUrl(r, id, (await jsonBody(c, importUrlBody)).url);
        return c.json({ documents: [publicDocument(doc, knowledge.job(doc.id))] }, 202);
      }
      const files = await uploadedFiles(c);
      const uploads = await Promise.all(
        files.map(async (file) => ({ filename: file.name || 'upload', bytes: Buffer.from(await file.arrayBuffer()), declaredType: file.type || undefined })),
      );
      const added = await knowledge.upload(r, id, uploads);
      return c.json({ documents: added.map((doc) => publicDocument(doc, knowledge.job(doc.id))) }, 202);
    });
}
