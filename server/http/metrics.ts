import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The Prometheus registry and the HTTP instruments the middleware feeds. */
export interface Metrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status'>;
  duration: Histogram<'method' | 'route'>;
}

/** Build facts exposed as `onsite_build_info`. */
export interface BuildInfo {
  version: string;
  revision: string;
  node: string;
}

/**
 * Creates a registry of our own (never prom-client's global one, so several
 * apps can live in one process) with process metrics, build info, request
 * counters and latency histograms by route, and the database size.
 */
export function createMetrics(
  build: BuildInfo,
  dbSizeBytes: () => number,
  license?: () => { daysLeft?: number | undefined; seatsUsed: number; seatsTotal: number },
): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'onsite_' });
  new Gauge({ name: 'onsite_build_info', help: 'Build of the running binary', labelNames: ['version', 'revision', 'node'], registers: [registry] }).set(
    { ...build },
    1,
  );
  new Gauge({
    name: 'onsite_db_size_bytes',
    help: 'Size of the SQLite database file',
    registers: [registry],
    collect() {
      this.set(dbSizeBytes());
    },
  });
  if (license) {
    new Gauge({
      name: 'onsite_license_seats',
      help: 'Licensed seats: total and used (active accounts)',
      labelNames: ['kind'],
      registers: [registry],
      collect() {
        const l = license();
        this.set({ kind: 'total' }, l.seatsTotal);
        this.set({ kind: 'used' }, l.seatsUsed);
      },
    });
    new Gauge({
      name: 'onsite_license_days_left',
      help: 'Days until the license expires (absent in evaluation mode)',
      registers: [registry],
      collect() {
        const d = license().daysLeft;
        this.reset();
        if (d !== undefined) this.set(d);
      },
    });
  }
  const requests = new Counter({
    name: 'onsite_http_requests_total',
    help: 'HTTP requests by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'onsite_http_request_duration_seconds',
    help: 'HTTP request latency by method and route pattern',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return { registry, requests, duration };
}
