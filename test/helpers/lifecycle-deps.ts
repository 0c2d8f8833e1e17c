import pino from 'pino';
import { findLicensingModule } from '../../modules';
import type { LifecycleDeps } from '../../src/lifecycle/lifecycle-deps';
import { CachingModuleProvider } from '../../src/lifecycle/module-provider';
import type { TestService } from './service';

/**
 * LifecycleDeps built the way src/service.ts builds them, against a running test service's database and stores,
 * with a clock of the test's choosing (e.g. the sandbox clock moved ahead).
 */
export function lifecycleDepsFor(service: TestService, now: () => Date = () => new Date()): LifecycleDeps {
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  return {
    db: service.db,
    ...service.stores,
    modules: new CachingModuleProvider(service.catalog, findLicensingModule, logger),
    settings: {
      ...service.config.lifecycle,
      leaseMs: service.config.worker.leaseMs,
      reconcileDelayMs: service.config.worker.reconcileDelayMs,
    },
    logger,
    now,
  };
}
