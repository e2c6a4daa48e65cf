/** @jsxImportSource hono/jsx */

/** A form error or notice box. */
export function Notice({ error, info }: { error?: string | undefined; info?: string | undefined }) {
  if (error)
    return (
      <p class="notice error" role="alert" data-testid="error">
        {error}
      </p>
    );
  if (info)
    return (
      <p class="notice info" role="status">
        {info}
      </p>
    );
  return null;
}

/** A labelled input. */
export function Field(props: {
  label: string;
  name: string;
  type?: string;
  value?: string | undefined;
  autocomplete?: string;
  required?: boolean;
  minlength?: number;
}) {
  return (
    <label class="field">
      <span>{props.label}</span>
      <input
        name={props.name}
        type={props.type ?? 'text'}
        value={props.value ?? ''}
        autocomplete={props.autocomplete}
        required={props.required ?? true}
        minlength={props.minlength}
      />
    </label>
  );
}

/** Formats a date for tables (UTC, minute precision). */
export function when(d: Date | null | undefined): string {
  return d ? `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC` : '—';
}
