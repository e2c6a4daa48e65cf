/** The outcome of one readiness check. */
export interface CheckResult {
  ok: boolean;
  /** A stable reason code when not ok (e.g. `database_unreachable`). */
  reason?: string | undefined;
  message?: string;
  /** Set by the service: a failing non-critical check degrades readiness instead of failing it. */
  critical?: boolean;
}

/** A named readiness check; domains register theirs at start. */
export type Check = () => CheckResult | Promise<CheckResult>;

/** The readiness report: overall status and every check by name. */
export interface Readiness {
  /** `degraded`: only non-critical checks fail (e.g. no miner yet); still ready. */
  status: 'ok' | 'degraded' | 'error';
  checks: Record<string, CheckResult>;
}

/** Collects readiness checks and runs them together. */
export interface HealthService {
  /** Adds a check; `critical: false` makes its failure degrade rather than fail readiness. */
  register(name: string, check: Check, options?: { critical?: boolean }): void;
  readiness(): Promise<Readiness>;
}

/** Creates a health service; a check that throws counts as failing. */
export function createHealthService(timeoutMs = 2000): HealthService {
  const checks = new Map<string, Check>();
  const optional = new Set<string>();
  return {
    register(name, check, options) {
      checks.set(name, check);
      if (options?.critical === false) optional.add(name);
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
      for (const [name, r] of entries) if (!r.ok && optional.has(name)) r.critical = false;
      const result = Object.fromEntries(entries);
      const failing = entries.filter(([, r]) => !r.ok);
      const status = failing.length === 0 ? 'ok' : failing.every(([name]) => optional.has(name)) ? 'degraded' : 'error';
      return { status, checks: result };
    },
  };
}
