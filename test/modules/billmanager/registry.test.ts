import assert from 'node:assert/strict';
import { findLicensingModule, licensingModules } from '../../../modules';
import { billmanagerModule } from '../../../modules/billmanager';
import { ModuleConfigurationError } from '../../../src/domain/upstream-errors';
import { RecordingLogger } from './helpers';

describe('licensing module registry', () => {
  it('lists billmanager by id', () => {
    assert.deepEqual(
      licensingModules.map((definition) => definition.id),
      ['billmanager'],
    );
    assert.equal(findLicensingModule('billmanager'), billmanagerModule);
    assert.equal(findLicensingModule('nope'), undefined);
  });

  it('creates a module from parsed settings, without any network call', () => {
    const definition = findLicensingModule('billmanager')!;
    const settings = definition.parseSettings({ periodCodes: { lifetime: -100 } });
    const module = definition.create(
      { url: 'https://api.example.test/manager/billmgr', username: 'u', password: 'p', settings },
      { logger: new RecordingLogger() },
    );
    for (const operation of ['checkConnection', 'order', 'get', 'list', 'findByReference', 'remove'] as const) {
      assert.equal(typeof module[operation], 'function');
    }
  });

  for (const url of ['not a url', 'ftp://api.example.test/billmgr']) {
    it(`refuses the URL ${JSON.stringify(url)} with a configuration error`, () => {
      assert.throws(
        () =>
          billmanagerModule.create(
            { url, username: 'u', password: 'p', settings: billmanagerModule.parseSettings({}) },
            { logger: new RecordingLogger() },
          ),
        ModuleConfigurationError,
      );
    });
  }
});
