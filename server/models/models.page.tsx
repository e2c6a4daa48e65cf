/** @jsxImportSource hono/jsx */
import type { ModelBackend } from '../backend/backend.types.ts';
import type { Caller } from '../http/types.ts';
import type { ModelView } from './models.views.ts';
import { Field, Notice } from '../ui/components.tsx';
import { CsrfField, Layout, PostButton } from '../ui/layout.tsx';

/** A model the backend offers that is not in the catalog yet. */
export type OfferedModel = Awaited<ReturnType<ModelBackend['available']>>[number];

/** Props of {@link ModelsPage}. */
export interface ModelsPageProps {
  caller: Caller;
  models: ModelView[];
  available: OfferedModel[];
  error?: string | undefined;
  info?: string | undefined;
}

function CatalogRow({ caller, m }: { caller: Caller; m: ModelView }) {
  const update = (fields: Record<string, string>, label: string, kind?: 'secondary' | 'danger') => (
    <PostButton caller={caller} action="/admin/models/update" fields={{ name: m.name, ...fields }} label={label} kind={kind ?? 'secondary'} />
  );
  return (
    <tr data-testid="model-row" data-name={m.name} data-enabled={String(m.enabled)} data-default={String(m.isDefault)}>
      <td>{m.name}</td>
      <td>{m.kind}</td>
      <td>
        <form method="post" action="/admin/models/update" class="row">
          <CsrfField caller={caller} />
          <input type="hidden" name="name" value={m.name} />
          <input
            type="number"
            name="contextLength"
            value={String(m.contextLength)}
            min={256}
            max={1048576}
            required
            aria-label={`Context length of ${m.name}`}
            class="num"
          />
          <button type="submit" class="secondary">
            Save
          </button>
        </form>
      </td>
      <td>{m.dimensions ?? '—'}</td>
      <td class={m.enabled ? 'ok' : 'muted'}>{m.enabled ? 'enabled' : 'disabled'}</td>
      <td>{m.isDefault ? <strong>default</strong> : ''}</td>
      <td class="row">
        {update({ enabled: m.enabled ? 'false' : 'true' }, m.enabled ? 'Disable' : 'Enable')}
        {!m.isDefault && m.enabled ? update({ isDefault: 'true' }, 'Make default') : null}
        <PostButton caller={caller} action="/admin/models/remove" fields={{ name: m.name }} label="Remove" kind="danger" />
      </td>
    </tr>
  );
}

function KindSelect({ value }: { value: string | undefined }) {
  return (
    <select name="kind" aria-label="Kind">
      <option value="chat" selected={value !== 'embedding'}>
        chat
      </option>
      <option value="embedding" selected={value === 'embedding'}>
        embedding
      </option>
    </select>
  );
}

const clampContext = (n: number | undefined) => Math.min(1_048_576, Math.max(256, n ?? 4096));

function OfferedRow({ caller, m, hasDefault }: { caller: Caller; m: OfferedModel; hasDefault: (kind: string) => boolean }) {
  const kind = m.kind ?? 'chat';
  return (
    <tr data-testid="available-row" data-name={m.name}>
      <td colSpan={7}>
        <form method="post" action="/admin/models" class="row">
          <CsrfField caller={caller} />
          <input type="hidden" name="name" value={m.name} />
          <input type="hidden" name="enabled" value="on" />
          {hasDefault(kind) ? null : <input type="hidden" name="isDefault" value="on" />}
          <strong class="grow">{m.name}</strong>
          <KindSelect value={kind} />
          <input
            type="number"
            name="contextLength"
            value={String(clampContext(m.contextLength))}
            min={256}
            max={1048576}
            aria-label="Context length"
            class="num"
          />
          <input
            type="number"
            name="dimensions"
            value={m.dimensions ? String(m.dimensions) : kind === 'embedding' ? '768' : ''}
            min={1}
            max={16384}
            aria-label="Dimensions (embedding models)"
            placeholder="dimensions"
            class="num"
          />
          <button type="submit" data-testid="add-available">
            Add
          </button>
        </form>
      </td>
    </tr>
  );
}

/** Admin: the model catalog (enable, default, context length, remove), adding models, and what miners offer. */
export function ModelsPage({ caller, models, available, error, info }: ModelsPageProps) {
  const hasDefault = (kind: string) => models.some((m) => m.kind === kind && m.isDefault);
  return (
    <Layout title="Models" caller={caller}>
      <Notice error={error} info={info} />
      <section class="card">
        <h1>Model catalog</h1>
        <p class="muted">Only catalog models are used, at the context length set here. Each kind has at most one default.</p>
        <table data-testid="models-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Kind</th>
              <th>Context length</th>
              <th>Dimensions</th>
              <th>Status</th>
              <th>Default</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {models.map((m) => (
              <CatalogRow caller={caller} m={m} />
            ))}
          </tbody>
        </table>
        {models.length === 0 ? <p class="muted">The catalog is empty: add a model the miners offer below.</p> : null}
      </section>
      <section class="card">
        <h2>Offered by miners, not in the catalog</h2>
        {available.length === 0 ? (
          <p class="muted" data-testid="available-empty">
            Nothing new: every model connected miners offer is in the catalog.
          </p>
        ) : (
          <table data-testid="available-table">
            <tbody>
              {available.map((m) => (
                <OfferedRow caller={caller} m={m} hasDefault={hasDefault} />
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section class="card">
        <h2>Add a model</h2>
        <form method="post" action="/admin/models" class="stack" data-testid="add-model-form">
          <CsrfField caller={caller} />
          <Field label="Name (as Ollama spells it, e.g. llama3.2:1b)" name="name" />
          <label class="field">
            <span>Kind</span>
            <KindSelect value="chat" />
          </label>
          <Field label="Context length (tokens)" name="contextLength" type="number" value="4096" />
          <Field label="Dimensions (embedding models only)" name="dimensions" type="number" required={false} />
          <label class="check">
            <input type="checkbox" name="enabled" checked /> Enabled
          </label>
          <label class="check">
            <input type="checkbox" name="isDefault" /> Default of its kind
          </label>
          <button type="submit">Add model</button>
        </form>
      </section>
    </Layout>
  );
}
