import type { Actor, AuditService } from '../audit/audit.service.ts';
import type { Clock } from '../kernel/clock.ts';
import { AppError } from '../kernel/errors.ts';
import type { ModelsStore } from './models.store.ts';
import type { CatalogModel } from './models.types.ts';

/** What an admin sets for a catalog model. */
export interface ModelInput {
  name: string;
  kind: CatalogModel['kind'];
  contextLength: number;
  dimensions?: number | null | undefined;
  enabled?: boolean | undefined;
  isDefault?: boolean | undefined;
}

/** The fields of a catalog model an admin may change; an absent or undefined one keeps its value. */
export type ModelPatch = { [K in Exclude<keyof ModelInput, 'name' | 'kind'>]?: ModelInput[K] | undefined };

/**
 * Who may use which model: a port the groups feature implements (a model
 * open to none of the caller's groups is refused). Absent, every model is
 * open to every user.
 */
export interface ModelGate {
  allowed(userId: string, model: string): boolean;
}

/**
 * The model catalog the admin keeps: only catalog models are ever run, at
 * the context length set here, and each kind has at most one default.
 */
export function createModelService(deps: { store: ModelsStore; audit: AuditService; clock: Clock; gate?: ModelGate | undefined }) {
  const { store, audit, clock, gate } = deps;
  const allowed = (userId: string, model: string) => gate?.allowed(userId, model) ?? true;
  return {
    list: () => store.list(),

    /** The enabled models a user may use (the chat picker, `GET /v1/models`), read fresh at every call. */
    listFor: (userId: string, kind?: CatalogModel['kind']): CatalogModel[] =>
      store.list().filter((m) => m.enabled && (!kind || m.kind === kind) && allowed(userId, m.name)),

    /**
     * The model a user's request may use: the named one when their groups may
     * use it (`model_not_allowed` otherwise), or else the default of its kind
     * if open to them, else the first such model open to them.
     */
    resolveFor(userId: string, name: string | undefined, kind: CatalogModel['kind']): CatalogModel {
      if (name) {
        const m = this.resolve(name, kind);
        this.assertAllowed(userId, m);
        return m;
      }
      const d = store.defaultOf(kind);
      if (d?.enabled && allowed(userId, d.name)) return d;
      const open = store.list().find((m) => m.kind === kind && m.enabled && allowed(userId, m.name));
      if (open) return open;
      const any = this.resolve(undefined, kind); // no model at all: the usual error
      throw new AppError('model_not_allowed', `no ${kind} model is open to your groups (${any.name} is not); ask an admin for access`);
    },

    /** Refuses (`model_not_allowed`, 403) a model none of the user's groups may use. */
    assertAllowed(userId: string, model: CatalogModel): void {
      if (!allowed(userId, model.name)) throw new AppError('model_not_allowed', `your groups may not use ${model.name}; ask an admin for access`);
    },

    /** Adds or replaces a model; making it the default takes that role from the previous one. */
    save(actor: Actor, input: ModelInput): CatalogModel {
      if (input.kind === 'embedding' && !input.dimensions)
        throw new AppError('validation_failed', 'an embedding model needs its dimensions (e.g. 768 for nomic-embed-text)');
      const now = new Date(clock());
      const existing = store.get(input.name);
      const saved = store.transaction(() => {
        if (input.isDefault) store.clearDefault(input.kind);
        return store.upsert({
          name: input.name,
          kind: input.kind,
          contextLength: input.contextLength,
          dimensions: input.kind === 'embedding' ? (input.dimensions ?? null) : null,
          enabled: input.enabled ?? existing?.enabled ?? true,
          isDefault: input.isDefault ?? (existing?.isDefault && existing.kind === input.kind) ?? false,
          createdAt: existing?.createdAt ?? now,
          updatedAt: now,
        });
      });
      audit.record({
        actor,
        action: existing ? 'model.update' : 'model.add',
        target: input.name,
        details: { kind: saved.kind, contextLength: saved.contextLength, enabled: saved.enabled, isDefault: saved.isDefault },
      });
      return saved;
    },

    /** Changes some fields of an existing model. */
    update(actor: Actor, name: string, patch: ModelPatch): CatalogModel {
      const m = store.get(name);
      if (!m) throw new AppError('model_unknown', `no model ${name} in the catalog`);
      return this.save(actor, {
        name,
        kind: m.kind,
        contextLength: patch.contextLength ?? m.contextLength,
        dimensions: patch.dimensions ?? m.dimensions,
        enabled: patch.enabled ?? m.enabled,
        isDefault: patch.isDefault ?? m.isDefault,
      });
    },

    remove(actor: Actor, name: string): void {
      if (!store.remove(name)) throw new AppError('model_unknown', `no model ${name} in the catalog`);
      audit.record({ actor, action: 'model.remove', target: name });
    },

    /**
     * The catalog model a request may use: the named one, or the default of
     * its kind. Unknown, disabled and wrong-kind models are clear errors.
     */
    resolve(name: string | undefined, kind: CatalogModel['kind']): CatalogModel {
      const m = name ? store.get(name) : (store.defaultOf(kind) ?? store.list().find((x) => x.kind === kind && x.enabled));
      if (!m)
        throw new AppError(
          'model_unknown',
          name ? `the model ${name} is not in the catalog` : `no ${kind} model is set up yet; an admin adds one on the Models page`,
        );
      if (m.kind !== kind) throw new AppError('model_kind', `${m.name} is a${kind === 'chat' ? 'n embedding' : ' chat'} model, not a ${kind} model`);
      if (!m.enabled) throw new AppError('model_disabled', `the model ${m.name} is disabled by an admin`);
      return m;
    },
  };
}

/** The model catalog service. */
export type ModelService = ReturnType<typeof createModelService>;
