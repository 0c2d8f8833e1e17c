import { collectDefaultMetrics, Registry } from 'prom-client';
import { ActivityMetrics } from './activity-metrics';
import { StateGauges, type StateGaugeSources } from './state-gauges';

/**
 * The Prometheus metrics of one running service, in a registry of its own (never prom-client's global one: tests
 * run several services in one process). Every process counts what it does itself (process defaults, operation
 * attempts, licensing-server calls); the state gauges read from the database and Redis are served only where
 * `state` is given (the process serving the API), so summing over processes never counts them twice.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  readonly activity: ActivityMetrics;

  constructor(options: { state?: StateGaugeSources } = {}) {
    collectDefaultMetrics({ register: this.registry });
    this.activity = new ActivityMetrics(this.registry);
    if (options.state) new StateGauges(this.registry, options.state);
  }

  /** The Prometheus text exposition format, with its content type. */
  async scrape(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }
}
