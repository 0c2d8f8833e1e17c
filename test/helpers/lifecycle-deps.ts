import pino from 'pino';
import { findLicensingModule } from '../../modules';
import { AlertBook } from '../../src/lifecycle/alert-book';
import type { AlertSweepDeps } from '../../src/lifecycle/alert-sweep';
import type { LifecycleDeps } from '../../src/lifecycle/lifecycle-deps';
import { CachingModuleProvider } from '../../src/lifecycle/module-provider';
import type { TestService } from './service';

const testLogger = () => pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/**
 * LifecycleDeps built the way src/service.ts builds them, against a running test service's database and stores,
 * with a clock of the test's choosing (e.g. the sandbox clock moved ahead). The alerts are told of each attempt by
 * `alertBook` (a book of its own on the same clock when none is given); a given book also observes upstream calls.
 */
export function lifecycleDepsFor(
  service: TestService,
  now: () => Date = () => new Date(),
  options: { alertBook?: AlertBook } = {},
): LifecycleDeps {
  const logger = testLogger();
  const alertBook = options.alertBook ?? alertBookFor(service, now);
  const observers = options.alertBook ? [options.alertBook.observeUpstreamCall] : [];
  return {
    db: service.db,
    ...service.stores,
    modules: new CachingModuleProvider(service.catalog, findLicensingModule, logger, undefined, observers),
    alertSignals: alertBook,
    settings: {
      ...service.config.lifecycle,
      leaseMs: service.config.worker.leaseMs,
      reconcileDelayMs: service.config.worker.reconcileDelayMs,
    },
    logger,
    now,
  };
}

/** An alert book on the test service's database and alert configuration, with the test's clock. */
export function alertBookFor(service: TestService, now: () => Date = () => new Date()): AlertBook {
  return new AlertBook({ db: service.db, ...service.stores, config: service.config.alerts, logger: testLogger(), now });
}

/** What the alert sweep needs, as src/service.ts gives it, with the modules of `deps` (observed by its book). */
export function alertSweepDepsFor(service: TestService, deps: LifecycleDeps): AlertSweepDeps {
  return {
    ...deps,
    ...service.stores,
    settings: { ...service.config.alerts, poolMarginHours: service.config.lifecycle.poolMarginHours },
    onRetried: () => service.relay.nudge(),
  };
}
