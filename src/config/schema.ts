import { z } from 'zod';
import { catalogConfigSchema } from '../catalog/schemas';

/**
 * The whole configuration: one object, validated before anything is built. Every field is documented here and
 * in `config.example.json`; environment variables override the file (see `load-config.ts`).
 */
export const configSchema = z.object({
  /** `development` (default) or `production` (from NODE_ENV). In production, missing secrets are fatal. */
  env: z.enum(['development', 'production', 'test']).default('development'),
  /** Where the service keeps its files (SQLite database, generated secrets, a private Redis). Default `var`. */
  varDir: z.string().min(1).default('var'),
  http: z
    .object({
      /** TCP port of the HTTP API (env PORT). Default 8080. */
      port: z.number().int().min(0).max(65535).default(8080),
      /** Address to listen on. Default `0.0.0.0`. */
      host: z.string().min(1).default('0.0.0.0'),
      /** Largest accepted request body in bytes. Default 1 MiB. */
      bodyLimitBytes: z
        .number()
        .int()
        .positive()
        .default(1024 * 1024),
    })
    .prefault({}),
  database: z
    .object({
      /** `postgres://…` or `sqlite:PATH` (env DATABASE_URL). Default: a SQLite file under varDir. */
      url: z
        .string()
        .regex(/^(postgres(ql)?:\/\/|sqlite:)/, 'must start with postgres:// or sqlite:')
        .optional(),
    })
    .prefault({}),
  redis: z
    .object({
      /**
       * Redis for the job queue (env REDIS_URL). Default: redis://127.0.0.1:6379, or when none answers there a
       * private redis-server started under varDir.
       */
      url: z
        .string()
        .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
        .optional(),
    })
    .prefault({}),
  hooks: z
    .object({
      /** HMAC-SHA256 key of hook signatures (env HOOK_SECRET). Generated into varDir in development. */
      secret: z.string().min(16, 'must be at least 16 characters').optional(),
      /** How far a signature's timestamp may be from now, in seconds. Default 300. */
      toleranceSeconds: z.number().int().positive().default(300),
    })
    .prefault({}),
  admin: z
    .object({
      /** Bearer token of the admin and read API (env ADMIN_TOKEN). Generated into varDir in development. */
      token: z.string().min(16, 'must be at least 16 characters').optional(),
    })
    .prefault({}),
  /** 32 bytes as 64 hex characters or base64 (env ENCRYPTION_KEY): encrypts passwords and keys at rest. */
  encryptionKey: z.string().optional(),
  log: z
    .object({
      /** pino level: fatal, error, warn, info, debug, trace, silent. Default info. */
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .prefault({}),
  platform: z
    .object({
      /** When set, every finished operation is POSTed here, signed like hooks. */
      callbackUrl: z.url().optional(),
    })
    .prefault({}),
  sandbox: z
    .object({
      /**
       * Run the sandbox licensing server in-process and point licensing servers whose URL is `sandbox:` at it.
       * `auto` (default): only outside production.
       */
      enabled: z.union([z.boolean(), z.literal('auto')]).default('auto'),
    })
    .prefault({}),
  /** Licensing servers, enumerations, tariff plans and period comparisons applied idempotently at start. */
  catalog: catalogConfigSchema.optional(),
});

export type ConfigInput = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;

/** The configuration after defaults, environment overrides and secrets have been filled in. */
export type Config = Omit<ParsedConfig, 'database' | 'hooks' | 'admin' | 'encryptionKey'> & {
  database: { url: string };
  hooks: { secret: string; toleranceSeconds: number };
  admin: { token: string };
  encryptionKey: Buffer;
};
