import type { LicensingModuleDefinition } from '../../src/domain/licensing-module';
import { ModuleConfigurationError } from '../../src/domain/upstream-errors';
import { BillmanagerApiClient } from './api-client';
import { parseBillmanagerSettings, type BillmanagerSettings } from './config';
import { BillmanagerModule } from './module';

export { BillmanagerApiClient, type BillmanagerClientOptions, type CallOptions, type CallParams } from './api-client';
export {
  billmanagerSettingsSchema,
  BillmanagerSettingsError,
  parseBillmanagerSettings,
  type BillmanagerSettings,
} from './config';
export { BillmanagerModule } from './module';

/** The `billmanager` module: a BILLmanager-style licensing server (`docs/billmanager-api.md`). */
export const billmanagerModule: LicensingModuleDefinition<BillmanagerSettings> = {
  id: 'billmanager',
  parseSettings: parseBillmanagerSettings,
  create(connection, context) {
    assertHttpUrl(connection.url);
    const client = new BillmanagerApiClient({
      url: connection.url,
      username: connection.username,
      password: connection.password,
      auth: connection.settings.auth,
      timeoutMs: connection.settings.timeoutMs,
      maxResponseBytes: connection.settings.maxResponseBytes,
      logger: context.logger,
    });
    return new BillmanagerModule(client, connection.settings, context.logger);
  },
};

function assertHttpUrl(url: string): void {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new ModuleConfigurationError('The licensing server URL is not a valid URL');
  }
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw new ModuleConfigurationError(`The licensing server URL must be http or https, not ${protocol}`);
  }
}
