import { createHash } from 'node:crypto';
import type { Actor, AuditService } from '../audit/audit.service.ts';
import type { Clock } from '../kernel/clock.ts';
import { OPEN_FEATURES, type FeatureGate } from '../kernel/features.ts';
import { AppError } from '../kernel/errors.ts';
import { sniffFormat } from './extract/extract.ts';
import type { CollectionsStore } from './store/collections.store.ts';
import type { Collection, DocumentRow } from './knowledge.types.ts';
import type { DocumentsStore } from './store/documents.store.ts';
import type { QueueStore } from './store/queue.store.ts';
import type { VectorsStore } from './store/vectors.store.ts';

/** Who acts: their id, role and audit label. */
export interface KnowledgeCaller {
  id: string;
  role: 'admin' | 'user';
  label: string;
}

/** An uploaded file. */
export interface Upload {
  filename: string;
  bytes: Buffer;
  declaredType?: string | undefined;
}

/** The part of the ingestion worker the service drives. */
export interface WorkerControl {
  kick(): void;
  cancel(documentId: number): void;
}

/**
 * Whether a caller may change a collection they can read: its owner for a
 * private one; for an org-wide one an admin, or the user who made it (where
 * ORG_COLLECTIONS_BY lets users make them).
 */
export function mayWrite(
  r: Pick<KnowledgeCaller, 'id' | 'role'>,
  c: Pick<Collection, 'scope' | 'ownerId'> & { createdBy?: string | null | undefined },
): boolean {
  return c.scope === 'private' ? c.ownerId === r.id : r.role === 'admin' || (c.createdBy != null && c.createdBy === r.id);
}

/** One user who may read a collection, and why. */
export interface CollectionReader {
  userId: string;
  email: string;
  via: 'owner' | 'org-wide' | { groupId: string };
}

const NAME_MAX = 200;
const FILENAME_MAX = 255;

/**
 * Collections and documents: who may see and change them, uploads and URL
 * imports queued for ingestion, deletion that leaves no chunk, vector or
 * FTS row behind. Reading a collection one may not read is `not_found`,
 * never `forbidden`: a private collection's existence is private too.
 */
export function createKnowledgeService(deps: {
  collections: CollectionsStore;
  documents: DocumentsStore;
  vectors: VectorsStore;
  queue: QueueStore;
  worker: WorkerControl;
  audit: AuditService;
  clock: Clock;
  maxUploadBytes: number;
  /** Which groups may upload documents (uploads); absent: everyone. */
  features?: FeatureGate | undefined;
  /** Which roles may make org-wide collections (ORG_COLLECTIONS_BY); admins when absent. */
  orgCollectionsBy?: 'admins' | 'users' | undefined;
}) {
  const { collections, documents, vectors, queue, worker, audit, clock } = deps;
  const features = deps.features ?? OPEN_FEATURES;
  const actor = (r: KnowledgeCaller): Actor => ({ id: r.id, label: r.label });
  const now = () => new Date(clock());

  function readable(r: KnowledgeCaller, id: number): Collection {
    const c = collections.readableOne(r.id, id);
    if (!c) throw new AppError('not_found', `no such collection: ${id}`);
    return c;
  }
  // Writing (documents, name): the owner or an admin as before, or a group the collection is shared with read-write.
  function writable(r: KnowledgeCaller, id: number): Collection {
    const c = readable(r, id);
    if (!mayWrite(r, c) && !collections.groupWritable(r.id, id)) throw new AppError('forbidden', 'you may read this collection but not change it');
    return c;
  }
  // Deleting and sharing: only its owner (private) or an admin (org-wide).
  function manageable(r: KnowledgeCaller, id: number): Collection {
    const c = readable(r, id);
    if (!mayWrite(r, c))
      throw new AppError(
        'forbidden',
        c.scope === 'shared' ? 'only an admin changes an org-wide collection' : 'only its owner shares or deletes this collection',
      );
    return c;
  }
  function readableDocument(r: KnowledgeCaller, id: number): { doc: DocumentRow; collection: Collection } {
    const doc = documents.get(id);
    const collection = doc && collections.readableOne(r.id, doc.collectionId);
    if (!doc || !collection) throw new AppError('not_found', `no such document: ${id}`);
    return { doc, collection };
  }
  function writableDocument(r: KnowledgeCaller, id: number): DocumentRow {
    const { doc } = readableDocument(r, id);
    writable(r, doc.collectionId);
    return doc;
  }

  // Chunks, their vectors (vec0 has no foreign keys) and FTS rows (triggers) go in one transaction.
  function purge(documentIds: number[], chunkIds: number[], drop: () => void): void {
    for (const id of documentIds) worker.cancel(id);
    documents.transaction(() => {
      vectors.forget(chunkIds);
      drop();
    });
  }

  function addDocument(r: KnowledgeCaller, c: Collection, row: Partial<DocumentRow> & { title: string }): DocumentRow {
    const at = now();
    const doc = documents.transaction(() => {
      const d = documents.insert({ ...row, collectionId: c.id, status: 'queued', stage: 'queued', createdBy: r.id, createdAt: at, updatedAt: at });
      queue.enqueueDocument(d.id, at);
      return d;
    });
    audit.record({ actor: actor(r), action: 'document.add', target: String(doc.id), details: { collection: c.id, title: doc.title, source: 'url' } });
    worker.kick();
    return doc;
  }

  return {
    readable,
    writable,
    readableDocument,
    list: (r: KnowledgeCaller) => collections.readable(r.id),

    create(r: KnowledgeCaller, input: { name: string; description?: string | undefined; scope?: 'private' | 'shared' | undefined }): Collection {
      const scope = input.scope ?? 'private';
      if (scope === 'shared' && r.role !== 'admin' && deps.orgCollectionsBy !== 'users')
        throw new AppError('forbidden', 'only an admin makes an org-wide collection here (ORG_COLLECTIONS_BY)');
      const at = now();
      const c = collections.insert({
        name: input.name.trim().slice(0, NAME_MAX),
        description: input.description?.trim() ?? '',
        scope,
        ownerId: scope === 'private' ? r.id : null,
        createdBy: r.id,
        createdAt: at,
        updatedAt: at,
      });
      audit.record({ actor: actor(r), action: 'collection.create', target: String(c.id), details: { scope, name: c.name } });
      return c;
    },
    update(r: KnowledgeCaller, id: number, patch: { name?: string | undefined; description?: string | undefined }): Collection {
      writable(r, id);
      collections.update(id, {
        ...(patch.name !== undefined ? { name: patch.name.trim().slice(0, NAME_MAX) } : {}),
        ...(patch.description !== undefined ? { description: patch.description.trim() } : {}),
        updatedAt: now(),
      });
      return readable(r, id);
    },
    /** Whether the caller may change the collection (the page shows its upload and import forms). */
    mayChange: (r: KnowledgeCaller, c: Collection): boolean => mayWrite(r, c) || collections.groupWritable(r.id, c.id),

    /**
     * Who may read a collection, and why (owner, org-wide, or the group share):
     * each user checked by the same SQL every read of the collection runs.
     * For its owner, or an admin.
     */
    readers(r: KnowledgeCaller, id: number): CollectionReader[] {
      const c = r.role === 'admin' ? readable(r, id) : manageable(r, id);
      return collections.activeUsers().flatMap((u): CollectionReader[] => {
        if (!collections.readableOne(u.id, id)) return [];
        if (c.scope === 'shared') return [{ userId: u.id, email: u.email, via: 'org-wide' as const }];
        if (c.ownerId === u.id) return [{ userId: u.id, email: u.email, via: 'owner' as const }];
        return [{ userId: u.id, email: u.email, via: { groupId: collections.shareVia(u.id, id)! } }];
      });
    },

    /** The groups a readable collection is shared with. */
    shares: (r: KnowledgeCaller, id: number) => collections.shares(readable(r, id).id),

    /**
     * Shares a collection with groups, read-only or read-write (replacing
     * the previous shares): its owner, or an admin for an org-wide one.
     * Audited with before and after.
     */
    share(
      r: KnowledgeCaller,
      id: number,
      shares: ReadonlyArray<{ groupId: string; access: 'read' | 'write' }>,
    ): Array<{ groupId: string; access: 'read' | 'write' }> {
      manageable(r, id);
      const before = collections.shares(id);
      const unique = [...new Map(shares.map((x) => [x.groupId, x])).values()];
      try {
        collections.setShares(id, unique, now());
      } catch (err) {
        if (/FOREIGN KEY/.test((err as Error).message)) throw new AppError('not_found', 'no such group among the shares');
        throw err;
      }
      const after = collections.shares(id);
      audit.record({ actor: actor(r), action: 'collection.share', target: String(id), details: { before, after } });
      return after;
    },

    remove(r: KnowledgeCaller, id: number): void {
      const c = manageable(r, id);
      const docs = documents.inCollection(id).map((d) => d.id);
      purge(docs, documents.chunkIdsOfCollection(id), () => collections.remove(id));
      audit.record({ actor: actor(r), action: 'collection.delete', target: String(id), details: { name: c.name, documents: docs.length } });
    },

    documents: (r: KnowledgeCaller, collectionId: number): DocumentRow[] => documents.inCollection(readable(r, collectionId).id),

    /**
     * Queues uploads after checking every file first (size, real type by
     * sniffing, the same bytes already in the collection or twice in this
     * request): one bad file refuses the whole request and nothing is added.
     */
    /** Whether a user's groups may upload documents (the page hides the form otherwise). */
    uploadsAllowed: (userId: string): boolean => features.allows(userId, 'uploads'),

    async upload(r: KnowledgeCaller, collectionId: number, files: Upload[]): Promise<DocumentRow[]> {
      if (!features.allows(r.id, 'uploads')) throw new AppError('feature_not_allowed', 'your groups may not upload documents; ask an admin');
      const c = writable(r, collectionId);
      const checked: Array<{ file: Upload; format: string; sha256: string; name: string }> = [];
      for (const file of files) {
        const name =
          [...file.filename]
            .filter((ch) => ch >= ' ' && ch !== '\u007f')
            .join('')
            .slice(0, FILENAME_MAX) || 'upload';
        if (file.bytes.length > deps.maxUploadBytes)
          throw new AppError('payload_too_large', `${name} is larger than the ${Math.round(deps.maxUploadBytes / 1048576)} MB upload limit (MAX_UPLOAD_MB)`);
        if (file.bytes.length === 0) throw new AppError('validation_failed', `${name} is empty`);
        const format = await sniffFormat(file.bytes, { filename: name, declaredType: file.declaredType });
        const sha256 = createHash('sha256').update(file.bytes).digest('hex');
        const same = documents.bySha(c.id, sha256);
        if (same) throw new AppError('conflict', `${name} is already in the collection as “${same.title}” (document ${same.id})`);
        const twin = checked.find((x) => x.sha256 === sha256);
        if (twin) throw new AppError('conflict', `${name} and ${twin.name} are the same file`);
        checked.push({ file, format, sha256, name });
      }
      writable(r, collectionId); // still there after the awaits
      const at = now();
      const added = documents.transaction(() =>
        checked.map(({ file, format, sha256, name }) => {
          const d = documents.insert({
            title: name,
            filename: name,
            format,
            sizeBytes: file.bytes.length,
            sha256,
            collectionId: c.id,
            status: 'queued',
            stage: 'queued',
            createdBy: r.id,
            createdAt: at,
            updatedAt: at,
          });
          documents.saveFile(d.id, file.bytes, file.declaredType?.slice(0, 200) ?? null);
          queue.enqueueDocument(d.id, at);
          return d;
        }),
      );
      for (const d of added)
        audit.record({ actor: actor(r), action: 'document.add', target: String(d.id), details: { collection: c.id, title: d.title, source: 'upload' } });
      worker.kick();
      return added;
    },
    /** Queues a web page to be read through the browser sidecar. */
    importUrl(r: KnowledgeCaller, collectionId: number, url: string): DocumentRow {
      const c = writable(r, collectionId);
      if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) throw new AppError('validation_failed', 'url: must be an http or https URL');
      return addDocument(r, c, { title: url.slice(0, NAME_MAX), sourceUrl: url, format: 'html' });
    },
    get: (r: KnowledgeCaller, id: number) => readableDocument(r, id),
    /** A document's text and chunks, for the page a citation links to. */
    content(r: KnowledgeCaller, id: number) {
      const { doc } = readableDocument(r, id);
      return { text: documents.text(doc.id), chunks: documents.chunks(doc.id) };
    },
    deleteDocument(r: KnowledgeCaller, id: number): void {
      const doc = writableDocument(r, id);
      purge([id], documents.chunkIds(id), () => documents.remove(id));
      audit.record({ actor: actor(r), action: 'document.delete', target: String(id), details: { collection: doc.collectionId, title: doc.title } });
    },
    /** Queues a failed document again, from the step where it stopped. */
    retry(r: KnowledgeCaller, id: number): DocumentRow {
      const doc = writableDocument(r, id);
      if (doc.status !== 'failed') throw new AppError('conflict', 'only a failed document can be retried');
      const at = now();
      documents.transaction(() => {
        documents.update(id, { status: 'queued', error: null, updatedAt: at });
        queue.enqueueDocument(id, at);
      });
      worker.kick();
      return documents.get(id)!;
    },
    /** The job behind a document, for its status line. */
    job: (documentId: number) => queue.forDocument(documentId),
  };
}

/** The knowledge service. */
export type KnowledgeService = ReturnType<typeof createKnowledgeService>;
