import type { Logger } from 'pino';
import type { CatalogService } from '../catalog/catalog-service';
import type { LicensingModuleDefinition, LicensingServerModule } from '../domain/licensing-module';
import { ModuleConfigurationError } from '../domain/upstream-errors';

/** Gives the module instance for a licensing server, kept between operations so its session is reused. */
export interface ModuleProvider {
  forServer(licensingServer: string): Promise<LicensingServerModule>;
}

export class CachingModuleProvider implements ModuleProvider {
  private readonly instances = new Map<string, { updatedAt: string; module: LicensingServerModule }>();

  constructor(
    private readonly catalog: CatalogService,
    private readonly findModule: (id: string) => LicensingModuleDefinition | undefined,
    private readonly logger: Logger,
  ) {}

  async forServer(licensingServer: string): Promise<LicensingServerModule> {
    const server = await this.catalog.getLicensingServer(licensingServer);
    const cached = this.instances.get(licensingServer);
    if (cached && cached.updatedAt === server.updatedAt) return cached.module;
    const connection = await this.catalog.connectionOf(licensingServer);
    const definition = this.findModule(connection.module);
    if (!definition)
      throw new ModuleConfigurationError(
        `licensing server "${licensingServer}" names unknown module "${connection.module}"`,
      );
    const module = definition.create(
      { ...connection, settings: definition.parseSettings(connection.settings) },
      { logger: this.logger.child({ licensingServer }) },
    );
    this.instances.set(licensingServer, { updatedAt: server.updatedAt, module });
    return module;
  }
}
