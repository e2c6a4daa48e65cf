/** Names of fields that name credential material (hashes, tokens, secrets, passwords). */
export const CREDENTIAL = /hash|token|secret|password/i;

/**
 * Credential-looking names that are not credential material: the CSRF token a
 * page must embed in its forms (it signs nobody in alone), and whether an
 * account has a password at all (a boolean).
 */
export const NOT_CREDENTIALS = new Set(['csrfToken', 'hasPassword']);

/** Every field name reachable in a type, down through arrays and objects (a Date is a leaf). */
type FieldNames<T> = T extends Date
  ? never
  : T extends readonly (infer E)[]
    ? FieldNames<E>
    : T extends object
      ? { [K in keyof T & string]: K | FieldNames<T[K]> }[keyof T & string]
      : never;
type Credential = `${string}${'hash' | 'token' | 'secret' | 'password'}${string}`;

/** The field names reachable in `T` that name credential material, case-insensitively, but those of {@link NOT_CREDENTIALS} (`never` when none). */
export type CredentialFields<T> = Exclude<{ [K in FieldNames<T>]: Lowercase<K> extends Credential ? K : never }[FieldNames<T>], 'csrfToken' | 'hasPassword'>;

/** Paths of the fields of a value whose names name credential material, but the `allowed` ones. */
export function credentialPaths(value: unknown, allowed: ReadonlySet<string> = NOT_CREDENTIALS, path = ''): string[] {
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => [
    ...(CREDENTIAL.test(k) && !allowed.has(k) ? [`${path}${k}`] : []),
    ...credentialPaths(v, allowed, `${path}${k}.`),
  ]);
}
