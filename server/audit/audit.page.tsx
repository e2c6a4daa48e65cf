/** @jsxImportSource hono/jsx */
import type { Caller } from '../http/types.ts';
import { Field, when } from '../ui/components.tsx';
import { Layout } from '../ui/layout.tsx';
import type { AuditEntryView } from './audit.views.ts';

/** Props of {@link AuditPage}. */
export interface AuditPageProps {
  caller: Caller;
  entries: AuditEntryView[];
  query: Record<string, string>;
}

/** Admin: the audit log with filters and export links. */
export function AuditPage({ caller, entries, query }: AuditPageProps) {
  const qs = new URLSearchParams(Object.entries(query).filter(([, v]) => v));
  return (
    <Layout title="Audit" caller={caller}>
      <section class="card">
        <h1>Audit log</h1>
        <form method="get" action="/admin/audit" class="row">
          <Field label="Action" name="action" value={query.action} required={false} />
          <label class="field">
            <span>Outcome</span>
            <select name="outcome">
              <option value="">any</option>
              <option value="success" selected={query.outcome === 'success'}>
                success
              </option>
              <option value="failure" selected={query.outcome === 'failure'}>
                failure
              </option>
            </select>
          </label>
          <Field label="From (YYYY-MM-DD)" name="from" value={query.from} required={false} />
          <Field label="To (YYYY-MM-DD)" name="to" value={query.to} required={false} />
          <button type="submit">Filter</button>
        </form>
        <p>
          Export: <a href={`/api/audit?${qs}&format=csv`}>CSV</a> · <a href={`/api/audit?${qs}&format=json`}>JSON</a>
        </p>
        <table>
          <thead>
            <tr>
              <th>When</th>
              <th>Who</th>
              <th>Action</th>
              <th>Outcome</th>
              <th>Target</th>
              <th>Address</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <tr>
                <td>{when(e.at)}</td>
                <td>{e.actorLabel}</td>
                <td>{e.action}</td>
                <td class={e.outcome === 'success' ? 'ok' : 'bad'}>{e.outcome}</td>
                <td>{e.target ?? ''}</td>
                <td>{e.ip ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </Layout>
  );
}
