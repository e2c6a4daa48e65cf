import type { Context } from 'hono';
import type { z } from 'zod';
import { statusOf } from '../http/errors.ts';
import type { AppEnv } from '../http/types.ts';
import { AppError, isAppError } from '../kernel/errors.ts';

/** What a page shows after a form: a notice and anything made once (a token). */
export type FormOutcome<Extra> = { error?: string; info?: string } & Partial<Extra>;

/** A page renderer given the outcome of a form and the status to answer with. */
export type Renderer<Extra> = (c: Context<AppEnv>, outcome: FormOutcome<Extra>, status?: number) => Response | Promise<Response>;

/** Parses a submitted form with a zod schema; failures become a `validation_failed` error listing each field. */
export function parseForm<S extends z.ZodType>(schema: S, raw: unknown): z.infer<S> {
  const r = schema.safeParse(raw);
  if (!r.success) throw new AppError('validation_failed', r.error.issues.map((i) => `${i.path.join('.') || 'form'}: ${i.message}`).join('; '));
  return r.data;
}

/**
 * Runs a form action and renders the page with its outcome; an AppError
 * becomes the page's error notice with the status its code maps to.
 */
export function formAction<Extra>(render: Renderer<Extra>) {
  return async (c: Context<AppEnv>, action: () => Promise<FormOutcome<Extra>> | FormOutcome<Extra>): Promise<Response> => {
    try {
      return await render(c, await action());
    } catch (err) {
      if (!isAppError(err)) throw err;
      return render(c, { error: err.message } as FormOutcome<Extra>, statusOf(err.code));
    }
  };
}

/** Checkbox value of a form: present means on. */
export const checkbox = (v: unknown): boolean => v === 'on' || v === 'true' || v === '1';

/** An optional number field: empty means not given. */
export const optionalNumber = (v: unknown): number | undefined => (v === undefined || v === '' ? undefined : Number(v));
