/** The outcome of one readiness check. */
export interface CheckResult {
  ok: boolean;
  /** A stable reason code when not ok (e.g. `database_unreachable`). */
  reason?: string;
  message?: string;
}

/** A named readiness check; domains register theirs at start. */
export type Check = () => CheckResult | Promise<CheckResult>;

/** The readiness report: overall status and every check by name. */
export interface Readiness {
  status: 'ok' | 'error';
  checks: Record<string, CheckResult>;
}

/** Collects readiness checks and runs them together. */
export interface HealthService {
  register(name: string, check: Check): void;
  readiness(): Promise<Readiness>;
}

/** Creates a health service; a check that throws counts as failing. */
export function createHealthService(timeoutMs = 2000): HealthService {
  const checks = new Map<string, Check>();
  return {
    register(name, check) {
      checks.set(name, check);
    },
    async readiness() {
      const entries = await Promise.all(
        [...checks].map(async ([name, check]): Promise<[string, CheckResult]> => {
          let timer: NodeJS.Timeout | undefined;
          try {
            const timeout = new Promise<CheckResult>((resolve) => {
              timer = setTimeout(() => resolve({ ok: false, reason: 'check_timeout', message: `no answer in ${timeoutMs} ms` }), timeoutMs);
            });
            return [name, await Promise.race([Promise.resolve().then(check), timeout])];
          } catch (err) {
            return [name, { ok: false, reason: 'check_failed', message: (err as Error).message }];
          } finally {
            clearTimeout(timer);
          }
        }),
      );
      const result = Object.fromEntries(entries);
      return { status: entries.every(([, r]) => r.ok) ? 'ok' : 'error', checks: result };
    },
  };
}
