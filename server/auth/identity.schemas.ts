import { z } from 'zod';

/** An email address, trimmed and lower-cased. */
export const email = z.string().trim().toLowerCase().pipe(z.email().max(254));
/** A display name. */
export const name = z.string().trim().min(1).max(100);
/** A password as typed (the policy is applied by the service). */
export const password = z.string().min(1).max(256);
/** A role. */
export const role = z.enum(['admin', 'user']);

/** Body of the first-admin claim. */
export const claimBody = z.object({ token: z.string().min(1).max(512), name, email, password });
/** Body of a sign-in. */
export const loginBody = z.object({ email: z.string().trim().min(1).max(254), password });
/** Body of a password change. */
export const passwordChangeBody = z.object({ currentPassword: password, newPassword: password });
/** Body of an account creation by an admin (no password: an invite link is made). */
export const createUserBody = z.object({ email, name, role: role.default('user'), password: password.optional() });
/** Body of an account change by an admin. */
export const updateUserBody = z
  .object({ name: name.optional(), role: role.optional(), status: z.enum(['active', 'deactivated']).optional() })
  .refine((b) => Object.keys(b).length > 0, 'nothing to change');
/** Body of a new API key. */
export const createKeyBody = z.object({ name: z.string().trim().min(1).max(100) });
/** Body redeeming an invite or reset link. */
export const redeemBody = z.object({ kind: z.enum(['invite', 'reset']), token: z.string().min(1).max(200), password });
/** Body linking an account to a directory identity (admin): the provider, its issuer, and the user's subject there. */
export const linkIdentityBody = z.object({
  provider: z.enum(['oidc', 'ldap']),
  issuer: z.string().trim().min(1).max(1000),
  subject: z.string().trim().min(1).max(500),
});
