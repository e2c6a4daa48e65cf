// Escaping of untrusted values put into LDAP filters and DNs. A sign-in name
// reaches the directory inside a filter, and an entry's DN inside the group
// filter: every such value goes through here, so none can change a filter's
// structure (LDAP injection).

/**
 * Escapes a value for an LDAP filter's assertion (RFC 4515 section 3): `*`,
 * `(`, `)`, `\` and NUL become `\2a`, `\28`, `\29`, `\5c`, `\00`. Other
 * characters pass as they are (RFC 4515 allows UTF-8 in values).
 */
export function escapeFilterValue(value: string): string {
  return value.replace(/[*()\\\0]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * Escapes a value for one attribute of a DN (RFC 4514 section 2.4): `"`,
 * `+`, `,`, `;`, `<`, `>`, `\`, and `=`, a leading `#` or space, a trailing
 * space; NUL as `\00`.
 */
export function escapeDnValue(value: string): string {
  let out = value.replace(/["+,;<>\\=]/g, (c) => `\\${c}`).replace(/\0/g, '\\00');
  if (out.startsWith('#') || out.startsWith(' ')) out = `\\${out}`;
  if (out.endsWith(' ') && !out.endsWith('\\ ')) out = `${out.slice(0, -1)}\\ `;
  return out;
}

/** Puts escaped values into a filter template: each `{name}` becomes `values[name]` escaped. */
export function fillFilter(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? escapeFilterValue(values[name]!) : whole));
}
