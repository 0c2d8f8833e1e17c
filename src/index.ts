import { Command, Option } from 'commander';
import { ConfigError, loadConfig } from './config/load-config';
import { createLogger } from './logger';
import { startService, type Role } from './service';

/** Start-up: load and validate the configuration, then build and run the service; stop gracefully on a signal. */
async function main(): Promise<void> {
  const options = new Command()
    .name('license-module')
    .option('-c, --config <path>', 'JSON configuration file (else CONFIG, else config.example.json in development)')
    .addOption(new Option('--role <role>', 'what this process runs').choices(['all', 'api', 'worker']).default('all'))
    .parse()
    .opts<{ config?: string; role: Role }>();

  let loaded;
  try {
    loaded = loadConfig({ configPath: options.config });
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`Cannot start: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  const { config, notes } = loaded;
  const logger = createLogger({ level: config.log.level });
  for (const note of notes) logger.info(note);

  const service = await startService(config, logger, options.role);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    service.stop().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error) => {
  console.error(`Cannot start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
