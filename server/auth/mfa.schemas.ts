import { z } from 'zod';

/** A code as typed: six digits from the app, or a recovery code (spaces and dashes allowed). */
export const mfaCode = z.string().trim().min(1).max(64);

/** Body finishing a sign-in with its second factor. */
export const mfaLoginBody = z.object({ challenge: z.string().min(1).max(200), code: mfaCode });

/** Body of an MFA step that needs a current code (confirm, disable, new recovery codes). */
export const mfaCodeBody = z.object({ code: mfaCode });
