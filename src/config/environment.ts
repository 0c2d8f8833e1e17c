import { ConfigError } from '../errors';

/** The environments the service knows. Anything else in `NODE_ENV` stops start-up. */
export const ENVIRONMENTS = ['development', 'production', 'test'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

export function isEnvironment(value: unknown): value is Environment {
  return typeof value === 'string' && (ENVIRONMENTS as readonly string[]).includes(value);
}

/**
 * `NODE_ENV` as the service reads it: undefined when unset (or empty), else exactly one of {@link ENVIRONMENTS}. A
 * misspelt value (`prod`, `Production`, `staging`) is a `ConfigError` naming it, never a silent development.
 */
export function environmentFromVariable(nodeEnv: string | undefined): Environment | undefined {
  if (nodeEnv === undefined || nodeEnv === '') return undefined;
  if (isEnvironment(nodeEnv)) return nodeEnv;
  throw new ConfigError(
    `NODE_ENV "${nodeEnv}" is not an environment of this service: use one of ${ENVIRONMENTS.join(', ')}`,
  );
}

/**
 * Which environment a process runs in: `NODE_ENV` when set (never overridden), else the configuration file's `env`,
 * else the entry point's default: `npm start` passes `development`; anything else (the compiled entry of
 * `npm run start:prod`, a bare `node dist/src/index.js`) gets `production`. The file's value is validated by the schema.
 */
export function resolveEnvironment(sources: {
  nodeEnv: string | undefined;
  fileEnv?: unknown;
  defaultEnv: Environment;
}): unknown {
  return environmentFromVariable(sources.nodeEnv) ?? sources.fileEnv ?? sources.defaultEnv;
}
