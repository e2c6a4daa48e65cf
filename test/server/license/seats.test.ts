import { describe, expect, it } from 'vitest';
import { createSeatPolicy } from '../../../server/license/seats.service.ts';
import type { LicenseRow } from '../../../server/license/license.types.ts';
import { errorCode } from '../../helpers/errors.ts';

const licensed = (seats: number) => createSeatPolicy({ current: () => ({ seats }) as LicenseRow });

describe('the seat policy identity is given', () => {
  it('allows one account in evaluation and the licensed seats after, saying how many are over', () => {
    const evaluation = createSeatPolicy({ current: () => undefined });
    expect(() => evaluation.assertCanAddSeat(0)).not.toThrow();
    expect(errorCode(() => evaluation.assertCanAddSeat(1))).toBe('seats_exceeded');
    expect(() => licensed(3).assertCanAddSeat(2)).not.toThrow();
    expect(errorCode(() => licensed(3).assertCanAddSeat(3))).toBe('seats_exceeded');
    expect(() => licensed(3).assertCanAddSeat(5)).toThrow(/5 active: deactivate 2 first/);
  });
});
