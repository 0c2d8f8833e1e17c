import type { Logger } from 'pino';
import type { CatalogService } from '../catalog/catalog-service';
import type { LicensingModuleDefinition, LicensingServerModule } from '../domain/licensing-module';
import { ModuleConfigurationError } from '../domain/upstream-errors';
import { observeModule, type UpstreamCallObserver } from './observed-module';

/** Gives the module instance for a licensing server, kept between operations so its session is reused. */
export interface ModuleProvider {
  forServer(licensingServer: string): Promise<LicensingServerModule>;
}

export class CachingModuleProvider implements ModuleProvider {
  private readonly instances = new Map<
    string,
    { updatedAt: string; checkedAt: number; module: LicensingServerModule }
  >();

  constructor(
    private readonly catalog: CatalogService,
    private readonly findModule: (id: string) => LicensingModuleDefinition | undefined,
    private readonly logger: Logger,
    /** How long an instance is used without checking whether its licensing server was changed. */
    private readonly recheckAfterMs = 2000,
    /** Told of every upstream call of every instance (metrics, alerts). */
    private readonly observers: readonly UpstreamCallObserver[] = [],
  ) {}

  async forServer(licensingServer: string): Promise<LicensingServerModule> {
    const cached = this.instances.get(licensingServer);
    if (cached && Date.now() - cached.checkedAt < this.recheckAfterMs) return cached.module;
    const server = await this.catalog.getLicensingServer(licensingServer);
    if (cached && cached.updatedAt === server.updatedAt) {
      cached.checkedAt = Date.now();
      return cached.module;
    }
    const connection = await this.catalog.connectionOf(licensingServer);
    const definition = this.findModule(connection.module);
    if (!definition)
      throw new ModuleConfigurationError(
        `licensing server "${licensingServer}" names unknown module "${connection.module}"`,
      );
    const module = observeModule(
      definition.create(
        { ...connection, settings: definition.parseSettings(connection.settings) },
        { logger: this.logger.child({ licensingServer }) },
      ),
      licensingServer,
      this.observers,
    );
    this.instances.set(licensingServer, { updatedAt: server.updatedAt, checkedAt: Date.now(), module });
    return module;
  }
}
