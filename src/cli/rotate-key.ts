import { Command } from 'commander';
import { loadConfig } from '../config/load-config';
import { createDatabase } from '../db/database';
import { reencryptSecrets } from '../db/secret-rotation';
import { ConfigError, RotationRefusedError } from '../errors';
import { SecretBox, keyIdOf } from '../security/secret-box';

/**
 * `npm run rotate-key`: re-encrypts every stored secret under `ENCRYPTION_KEY`, reading values made under
 * `ENCRYPTION_KEY_PREVIOUS` (or older v1 envelopes), in one transaction. It reads the same configuration as the
 * service. Run again with only the new key, it checks that everything decrypts (0 re-encrypted).
 */
async function main(): Promise<void> {
  const options = new Command()
    .option('-c, --config <path>', 'JSON configuration file')
    .parse()
    .opts<{ config?: string }>();
  const { config } = loadConfig({ configPath: options.config });
  const box = new SecretBox(config.encryptionKey, config.encryptionKeyPrevious);
  const previous = config.encryptionKeyPrevious
    ? `previous key ${keyIdOf(config.encryptionKeyPrevious)}`
    : 'no previous key';
  console.log(`rotating stored secrets to key ${box.keyId} (${previous})`);
  const db = createDatabase(config.database.url);
  try {
    const report = await reencryptSecrets(db, box);
    for (const column of report.columns) {
      console.log(`  ${column.column}: ${column.reencrypted} re-encrypted, ${column.alreadyCurrent} already current`);
    }
    console.log(
      `done: ${report.reencrypted} re-encrypted, ${report.alreadyCurrent} already current, all under key ${report.keyId}`,
    );
  } finally {
    await db.destroy();
  }
}

main().catch((error: unknown) => {
  const expected = error instanceof ConfigError || error instanceof RotationRefusedError;
  console.error(expected ? `Cannot rotate: ${error.message}` : error);
  process.exit(1);
});
