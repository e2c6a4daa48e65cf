/** @jsxImportSource hono/jsx */
import type { Context } from 'hono';
import { z } from 'zod';
import type { ChatService } from '../chat/chat.service.ts';
import { statusOf } from '../http/errors.ts';
import { publicCollection, publicDocument, publicHit } from './collections.views.ts';
import { callerOf } from '../http/middleware/guards.ts';
import { pathId, knowledgeCallerOf } from './collections.schemas.ts';
import type { AppEnv } from '../http/types.ts';
import type { Retrieval } from './search.service.ts';
import type { KnowledgeService } from './collections.service.ts';
import { isAppError } from '../kernel/errors.ts';
import { CollectionPage } from './collections-detail.page.tsx';
import { CollectionsPage, type SearchView } from './collections.page.tsx';
import type { FormOutcome } from '../ui/forms.ts';

/** Dependencies of the knowledge base pages. */
export interface KnowledgePagesDeps {
  knowledge: { service: KnowledgeService; retrieval: Retrieval };
  chat: ChatService;
}

type Outcome = FormOutcome<object>;
type Fallback = (error: string, status: number) => Response | Promise<Response>;
const searchQuery = z.string().trim().min(1).max(4000);

/**
 * What the knowledge pages share: the list (with a search when `?q=` is
 * given), one collection, and running a form action whose AppError shows
 * as a notice on a fallback page with the error's status.
 */
export function knowledgeRenderers(deps: KnowledgePagesDeps) {
  const { service } = deps.knowledge;

  async function searchOf(c: Context<AppEnv>, q: string): Promise<SearchView> {
    const out = await deps.knowledge.retrieval.search({ userId: callerOf(c).user.id, queries: [q] }, c.req.raw.signal);
    return { query: q, mode: out.mode, notice: out.notice ?? null, results: out.hits.map(publicHit) };
  }

  async function list(c: Context<AppEnv>, outcome: Outcome = {}, status = 200): Promise<Response> {
    const q = searchQuery.safeParse(c.req.query('q'));
    let search: SearchView | undefined;
    let error = outcome.error;
    try {
      if (q.success && c.req.method === 'GET') search = await searchOf(c, q.data);
    } catch (err) {
      if (!isAppError(err)) throw err;
      error = err.message;
    }
    return c.html(
      <CollectionsPage caller={callerOf(c)} collections={service.list(knowledgeCallerOf(c)).map(publicCollection)} search={search} error={error} />,
      status as 200,
    );
  }

  // A collection one may not read answers as the list with a 404 notice.
  function one(c: Context<AppEnv>, id: number, outcome: Outcome = {}, status = 200): Response | Promise<Response> {
    const r = knowledgeCallerOf(c);
    try {
      const collection = service.readable(r, id);
      const documents = service.documents(r, id).map((d) => publicDocument(d, service.job(d.id)));
      return c.html(
        <CollectionPage
          caller={callerOf(c)}
          collection={publicCollection(collection)}
          documents={documents}
          uploads={deps.knowledge.service.uploadsAllowed(callerOf(c).user.id)}
          writable={deps.knowledge.service.mayChange(knowledgeCallerOf(c), collection)}
          {...outcome}
        />,
        status as 200,
      );
    } catch (err) {
      if (!isAppError(err)) throw err;
      return list(c, { error: err.message }, statusOf(err.code));
    }
  }

  async function attempt(action: () => Promise<Response> | Response, fallback: Fallback): Promise<Response> {
    try {
      return await action();
    } catch (err) {
      if (!isAppError(err)) throw err;
      return fallback(err.message, statusOf(err.code));
    }
  }

  return {
    list,
    one,
    attempt,
    /** Falls back to the list. */
    onList:
      (c: Context<AppEnv>): Fallback =>
      (error, status) =>
        list(c, { error }, status),
    /** Falls back to the collection of the path's `:id`. */
    onCollection:
      (c: Context<AppEnv>): Fallback =>
      (error, status) =>
        one(c, pathId(c), { error }, status),
  };
}
