import { Command, Option } from 'commander';
import { boxed, developmentNotice } from './config/development-notice';
import { ENVIRONMENTS, type Environment } from './config/environment';
import { ConfigError, loadConfig } from './config/load-config';
import { createLogger } from './logger';
import { startService, type Role, type RunningService } from './service';

/** Start-up: load and validate the configuration, then build and run the service; stop gracefully on a signal. */
async function main(): Promise<void> {
  const options = new Command()
    .name('license-module')
    .option('-c, --config <path>', 'JSON configuration file (else CONFIG, else config.example.json in development)')
    .addOption(new Option('--role <role>', 'what this process runs').choices(['all', 'api', 'worker']).default('all'))
    .addOption(
      new Option(
        '--default-env <env>',
        'the environment when neither NODE_ENV nor the file names one (npm start: development)',
      )
        .choices(ENVIRONMENTS)
        .default('production'),
    )
    .parse()
    .opts<{ config?: string; role: Role; defaultEnv: Environment }>();

  let loaded;
  try {
    loaded = loadConfig({ configPath: options.config, defaultEnv: options.defaultEnv });
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`Cannot start: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  const { config, notes } = loaded;
  // Libraries (express among them) read NODE_ENV: they must see the environment the service runs in.
  process.env.NODE_ENV = config.env;
  const logger = createLogger({ level: config.log.level });
  for (const note of notes) logger.info(note);
  const notice = developmentNotice(loaded);
  if (notice.length) {
    console.error(boxed(notice));
    logger.warn({ env: config.env, host: config.http.host }, notice.join(' '));
  }

  // Signals are handled from the start: one that arrives while starting stops the service once it is up.
  let signalled: string | null = null;
  let service: RunningService | null = null;
  const shutdown = (signal: string) => {
    if (signalled) return;
    signalled = signal;
    if (service) stopAndExit(service, signal);
  };
  const stopAndExit = (running: RunningService, signal: string) => {
    logger.info({ signal }, 'stopping');
    running.stop().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  service = await startService(config, logger, options.role);
  if (signalled) stopAndExit(service, signalled);
}

main().catch((error) => {
  console.error(`Cannot start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
