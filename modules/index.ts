import type { LicensingModuleDefinition } from '../src/domain/licensing-module';
import { billmanagerModule } from './billmanager';

/** Every licensing-server module this service can use, by id. Add a new API flavour here. */
export const licensingModules: readonly LicensingModuleDefinition[] = [billmanagerModule];

/** The module registered under `id`, or undefined. */
export function findLicensingModule(id: string): LicensingModuleDefinition | undefined {
  return licensingModules.find((definition) => definition.id === id);
}
