/** A periodic background job. */
export interface Job {
  name: string;
  /** Milliseconds between runs. */
  everyMs: number;
  /** Delay before the first run. */
  firstAfterMs: number;
  run(): Promise<void> | void;
}

/** Runs background jobs on timers; `stop` waits for runs in progress. */
export interface Jobs {
  start(): void;
  stop(): Promise<void>;
  /** Runs a job now (operators, tests); resolves when it finished. */
  runNow(name: string): Promise<void>;
}

/**
 * The one place background work is scheduled. A job never overlaps itself;
 * a failing run is reported and the job keeps its schedule.
 */
export function createJobs(jobs: Job[], onError: (job: string, err: unknown) => void): Jobs {
  const timers: NodeJS.Timeout[] = [];
  const running = new Map<string, Promise<void>>();
  let stopped = false;

  const runOne = (job: Job): Promise<void> => {
    const existing = running.get(job.name);
    if (existing) return existing;
    const p = (async () => {
      try {
        await job.run();
      } catch (err) {
        onError(job.name, err);
      } finally {
        running.delete(job.name);
      }
    })();
    running.set(job.name, p);
    return p;
  };

  return {
    start() {
      for (const job of jobs) {
        const first = setTimeout(() => {
          if (stopped) return;
          // Fire and forget: runOne never rejects (a job's error goes to onError).
          void runOne(job);
          const every = setInterval(() => !stopped && void runOne(job), job.everyMs);
          every.unref();
          timers.push(every);
        }, job.firstAfterMs);
        first.unref();
        timers.push(first);
      }
    },
    async stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      await Promise.all(running.values());
    },
    runNow(name) {
      const job = jobs.find((j) => j.name === name);
      if (!job) return Promise.reject(new Error(`no job named ${name}`));
      return runOne(job);
    },
  };
}
