import { Command } from 'commander';
import { ConfigError, loadConfig } from '../config/load-config';
import { createDatabase, migrateToLatest, rollbackAll } from '../db/database';

/** `npm run migrate [-- --down]`: applies every migration (or rolls all back) on the configured database. */
async function main(): Promise<void> {
  const options = new Command()
    .option('-c, --config <path>', 'JSON configuration file')
    .option('--down', 'roll every migration back')
    .parse()
    .opts<{ config?: string; down?: boolean }>();
  const { config } = loadConfig({ configPath: options.config });
  const db = createDatabase(config.database.url);
  try {
    if (options.down) {
      await rollbackAll(db);
      console.log('all migrations rolled back');
    } else {
      const applied = await migrateToLatest(db);
      console.log(applied.length ? `applied: ${applied.join(', ')}` : 'already up to date');
    }
  } finally {
    await db.destroy();
  }
}

main().catch((error) => {
  console.error(error instanceof ConfigError ? `Cannot migrate: ${error.message}` : error);
  process.exit(1);
});
