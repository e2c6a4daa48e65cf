import type { SeatPolicy } from '../auth/users.service.ts';
import { AppError } from '../kernel/errors.ts';
import type { LicenseStore } from './license.store.ts';

/**
 * The license's side of the seat limit, for identity: the installed code's
 * seats, or one (the admin) in evaluation. Needs only the license store, so
 * identity can be built before the license service that counts its users.
 */
export function createSeatPolicy(store: Pick<LicenseStore, 'current'>): SeatPolicy {
  return {
    assertCanAddSeat(seatsUsed: number): void {
      const current = store.current();
      const seats = current ? current.seats : 1;
      if (seatsUsed < seats) return;
      throw new AppError(
        'seats_exceeded',
        !current
          ? 'evaluation mode allows one account (the admin); install an activation code to add users'
          : `all ${seats} licensed seats are in use${seatsUsed > seats ? ` (${seatsUsed} active: deactivate ${seatsUsed - seats} first)` : ''}; deactivate a user or install a code with more seats`,
      );
    },
  };
}
