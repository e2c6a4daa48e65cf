import type { LicenseRow } from './license.types.ts';

/** An installed license as the API lists it and the page shows it: every fact, never the activation code itself. */
export interface LicenseView {
  id: number;
  licenseId: string;
  customer: string;
  seats: number;
  features: string[];
  issuedAt: Date;
  notBefore: Date;
  expiresAt: Date;
  graceDays: number;
  keyId: string;
  installedAt: Date;
  installedBy: string;
}

/** Shapes an installed license, field by field, so a new column never gets out by default. */
export function publicLicense(l: LicenseRow): LicenseView {
  return {
    id: l.id,
    licenseId: l.licenseId,
    customer: l.customer,
    seats: l.seats,
    features: l.features,
    issuedAt: l.issuedAt,
    notBefore: l.notBefore,
    expiresAt: l.expiresAt,
    graceDays: l.graceDays,
    keyId: l.keyId,
    installedAt: l.installedAt,
    installedBy: l.installedBy,
  };
}
