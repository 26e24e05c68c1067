/**
 * GET /metrics in Prometheus text format. Values kept elsewhere (the proxy's session counters, the
 * pool, and whatever the composition root adds: model cache, cron runs) are read at scrape time.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** A metric owned by another part of pgml-proxy, read on each scrape. */
export interface MetricSource {
  name: string;
  help: string;
  /** 'counter' for monotonically increasing totals. */
  type: 'counter' | 'gauge';
  labelNames?: string[];
  read(): { labels?: Record<string, string>; value: number }[];
}

export interface ProxyCounters {
  connections(): number;
  stats: { passedThrough: number; intercepted: number };
}

export interface PoolCounters {
  stats: { size: number; busy: number; waiting: number };
}

export class HttpMetrics {
  readonly registry = new Registry();
  private readonly calls: Counter<'function' | 'status'>;
  private readonly latency: Histogram<'function'>;
  readonly schemaReloads: Counter;

  constructor(proxy: ProxyCounters, pool: PoolCounters, sources: readonly MetricSource[] = []) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'pgml_proxy_' });
    new Gauge({
      name: 'pgml_proxy_client_connections',
      help: 'Open client connections to the wire-protocol listener (HTTP pool connections included)',
      registers,
      collect() {
        this.set(proxy.connections());
      },
    });
    new Counter({
      name: 'pgml_proxy_client_messages_total',
      help: 'Client protocol messages forwarded untouched to the upstream (passed_through) or evaluated by the proxy (intercepted)',
      labelNames: ['disposition'],
      registers,
      collect() {
        this.reset();
        this.inc({ disposition: 'passed_through' }, proxy.stats.passedThrough);
        this.inc({ disposition: 'intercepted' }, proxy.stats.intercepted);
      },
    });
    new Gauge({
      name: 'pgml_proxy_http_pool_connections',
      help: 'HTTP pool connections by state; waiting counts requests queued for one',
      labelNames: ['state'],
      registers,
      collect() {
        const { size, busy, waiting } = pool.stats;
        this.set({ state: 'busy' }, busy);
        this.set({ state: 'idle' }, size - busy);
        this.set({ state: 'waiting' }, waiting);
      },
    });
    this.calls = new Counter({
      name: 'pgml_proxy_rpc_requests_total',
      help: 'HTTP /rpc requests by function and response status',
      labelNames: ['function', 'status'],
      registers,
    });
    this.latency = new Histogram({
      name: 'pgml_proxy_rpc_duration_seconds',
      help: 'HTTP /rpc request latency by function',
      labelNames: ['function'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.schemaReloads = new Counter({
      name: 'pgml_proxy_rpc_schema_cache_reloads_total',
      help: 'Reloads of the /rpc function cache',
      registers,
    });
    for (const source of sources) addSource(this.registry, source);
  }

  /** `fn` is "schema.name" of a function that exists, or "" when the request never reached one. */
  observeCall(fn: string, status: number, seconds: number): void {
    this.calls.inc({ function: fn, status: String(status) });
    if (fn !== '') this.latency.observe({ function: fn }, seconds);
  }
}

function addSource(registry: Registry, source: MetricSource): void {
  const common = { name: source.name, help: source.help, labelNames: source.labelNames ?? [], registers: [registry] };
  if (source.type === 'counter') {
    new Counter({
      ...common,
      collect() {
        this.reset();
        for (const { labels, value } of source.read()) this.inc(labels ?? {}, value);
      },
    });
  } else {
    new Gauge({
      ...common,
      collect() {
        this.reset();
        for (const { labels, value } of source.read()) this.set(labels ?? {}, value);
      },
    });
  }
}
