import type { Context } from 'hono';
import type { z } from 'zod';
import { AppError } from '../kernel/errors.ts';

function explain(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
}

/** Parses a JSON body against a schema; bad input is `validation_failed` (400). */
export async function jsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw new AppError('validation_failed', 'the body must be JSON');
  }
  const r = schema.safeParse(raw);
  if (!r.success) throw new AppError('validation_failed', explain(r.error));
  return r.data;
}

/** Parses a URL-encoded or multipart form against a schema. */
export async function formBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  const r = schema.safeParse(await c.req.parseBody());
  if (!r.success) throw new AppError('validation_failed', explain(r.error));
  return r.data;
}

/** Parses query parameters against a schema. */
export function queryParams<S extends z.ZodType>(c: Context, schema: S): z.infer<S> {
  const r = schema.safeParse(c.req.query());
  if (!r.success) throw new AppError('validation_failed', explain(r.error));
  return r.data;
}

/** Parses one path parameter against a schema (`not_found` when it names nothing the schema knows). */
export function parsePath<S extends z.ZodType>(value: string | undefined, schema: S): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new AppError('not_found', `no such ${explain(r.error)}`);
  return r.data;
}
