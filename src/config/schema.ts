import { z } from 'zod';
import { catalogConfigSchema } from '../catalog/schemas';

/**
 * The whole configuration: one object, validated before anything is built. Every field is documented here and
 * in `config.example.json`; environment variables override the file (see `load-config.ts`).
 */
export const configSchema = z.object({
  /**
   * `development`, `production` or `test`. `NODE_ENV` wins (any other value stops start-up); else this field; else the
   * entry point's default: `npm start` development, `npm run start:prod` (and any other start) production. In
   * production missing secrets are fatal and the sandbox never runs; only development reads `config.example.json`,
   * binds 127.0.0.1 by default and generates secrets into varDir.
   */
  env: z.enum(['development', 'production', 'test']).default('production'),
  /** Where the service keeps its files (SQLite database, generated secrets, a private Redis). Default `var`. */
  varDir: z.string().min(1).default('var'),
  http: z
    .object({
      /** TCP port of the HTTP API (env PORT). Default 8080. */
      port: z.number().int().min(0).max(65535).default(8080),
      /** Address to listen on. Default `127.0.0.1` in development (nothing outside this machine reaches it), else `0.0.0.0`. */
      host: z.string().min(1).optional(),
      /** Largest accepted request body in bytes. Default 1 MiB. */
      bodyLimitBytes: z
        .number()
        .int()
        .positive()
        .default(1024 * 1024),
      /**
       * Serve HTTPS instead of HTTP, for a provider without a TLS proxy in front: PEM files of the certificate (with
       * its chain) and of its private key. Hooks, tokens and activation keys cross the network.
       */
      tls: z.object({ certFile: z.string().min(1), keyFile: z.string().min(1) }).optional(),
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
  auth: z
    .object({
      /**
       * Named bearer tokens and their roles (`admin`: every route; `platform`: the operation and service reads, with
       * activation keys; `viewer`: the admin reads, without activation keys). The environment adds `ADMIN_TOKEN`
       * (named `admin`, role `admin`), `PLATFORM_TOKEN` (`platform`) and `VIEWER_TOKEN` (`viewer`). Names and token
       * values are unique; a name appears in the audit trail as the actor of what its token did. Production needs
       * at least one `admin` token; development generates one into varDir when none is given. Default none.
       */
      tokens: z
        .array(
          z.object({
            name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a name is 1–64 letters, digits, . _ -'),
            role: z.enum(['admin', 'platform', 'viewer']),
            token: z.string().min(16, 'must be at least 16 characters'),
          }),
        )
        .default([]),
    })
    .prefault({}),
  /** 32 bytes as 64 hex characters or base64 (env ENCRYPTION_KEY): encrypts passwords and keys at rest. */
  encryptionKey: z.string().optional(),
  /**
   * The key that was current before a rotation (env ENCRYPTION_KEY_PREVIOUS): still decrypts what it encrypted until
   * `npm run rotate-key` has re-encrypted everything under `encryptionKey`.
   */
  encryptionKeyPrevious: z.string().optional(),
  log: z
    .object({
      /** pino level: fatal, error, warn, info, debug, trace, silent. Default info. */
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .prefault({}),
  platform: z
    .object({
      /**
       * When set, every finished operation is POSTed here, signed like hooks. Must be `https` in production (plain
       * `http` only to a loopback address).
       */
      callbackUrl: z.url().optional(),
      /** Signs callbacks (env CALLBACK_SECRET). Default: `hooks.secret`. */
      callbackSecret: z.string().min(16, 'must be at least 16 characters').optional(),
      /** Total deadline of one callback delivery, from connect to the last byte of the reply. Default 10 s. */
      callbackTimeoutMs: z.number().int().positive().max(120_000).default(10_000),
      /** The largest callback reply read; a larger one counts as a failed delivery. Default 64 KiB. */
      callbackMaxReplyBytes: z
        .number()
        .int()
        .positive()
        .default(64 * 1024),
    })
    .prefault({}),
  lifecycle: z
    .object({
      /** Suspend and resume the license with the service. Default true. */
      suspendWithService: z.boolean().default(true),
      /** Suspend a license upstream while it waits in the pool (reuse resumes it). Default true. */
      suspendPooledLicenses: z.boolean().default(true),
      /** A pooled license must be paid at least this much past now to be reused or kept. Default 24 hours. */
      poolMarginHours: z.number().min(0).default(24),
      /** The scheduler renews a license this many days before it lapses. Default 3. */
      renewalLeadDays: z.number().min(0).default(3),
      /** Attempts (network failures, 5xx) before an operation fails for a person to look at. Default 10. */
      maxAttempts: z.number().int().positive().default(10),
      /** First retry delay; doubles each attempt, with jitter. Default 5 s. */
      retryBaseMs: z.number().int().positive().default(5000),
      /** A hook's `paidUntil` may lie at most this many calendar months past now (else 422). Default 36. */
      maxPaidAheadMonths: z.number().int().positive().max(1200).default(36),
      /** A prolong, renewal or manual renew needing more upstream renewals fails for a person. Default 3. */
      maxRenewalsPerOperation: z.number().int().positive().max(1000).default(3),
      /**
       * Paid calls (orders and renewals) per licensing server in one UTC day; past it paid operations wait with
       * `spend_limit` until the next day or until a person raises the cap and retries. Default 1000.
       */
      maxPaidCallsPerDay: z.number().int().positive().default(1000),
      /** Longest retry delay. Default 15 minutes. */
      retryMaxMs: z
        .number()
        .int()
        .positive()
        .default(15 * 60 * 1000),
    })
    .prefault({}),
  worker: z
    .object({
      /** Operations one worker process runs at once (different services only). Default 8. */
      concurrency: z.number().int().positive().max(256).default(8),
      /** The BullMQ queue's name (and key prefix in Redis). Default `license-operations`. */
      queueName: z.string().min(1).default('license-operations'),
      /**
       * How long a claimed operation stays with its worker without a heartbeat. Default 60 s. Must be at least the
       * longest licensing-server `timeoutMs` plus 10 s (checked at start and on a licensing-server PUT).
       */
      leaseMs: z.number().int().min(1000).default(60_000),
      /** How often the relay re-enqueues committed operations that Redis does not hold. Default 5 s. */
      relayIntervalMs: z.number().int().positive().default(5000),
      /** How often the scheduler looks for licenses to renew and pooled licenses that expired. Default 10 min. */
      schedulerIntervalMs: z
        .number()
        .int()
        .positive()
        .default(10 * 60 * 1000),
      /**
       * An upstream call whose outcome is unknown (time-out, crash) is looked up upstream only this long after it
       * was started, so a call still in flight cannot be missed and repeated. Default 45 s. Must be at least twice the
       * longest licensing-server `timeoutMs` (a login and the call) plus 10 s (checked at start and on a PUT).
       */
      reconcileDelayMs: z.number().int().min(0).default(45_000),
      /** How long SIGTERM waits for running operations before exiting. Default 30 s. */
      shutdownGraceMs: z.number().int().min(0).default(30_000),
    })
    .prefault({}),
  sandbox: z
    .object({
      /**
       * Run the sandbox licensing server in-process for the catalog's licensing servers whose URL is `"sandbox"`.
       * `auto` (default) or `true`: outside production only (it never runs in production); `false`: never.
       */
      enabled: z.union([z.boolean(), z.literal('auto')]).default('auto'),
    })
    .prefault({}),
  reconcile: z
    .object({
      /**
       * How often each licensing server's upstream license list is compared with the service's books (drift,
       * CONTRACT.md "Reconciliation and adoption"); one run per interval across worker processes. Default 1 hour.
       */
      intervalMs: z
        .number()
        .int()
        .min(60_000)
        .default(60 * 60 * 1000),
    })
    .prefault({}),
  retention: z
    .object({
      /** Processed hook events and delivered callbacks are pruned after this many days. Default 90. */
      hookEventsDays: z.number().int().positive().default(90),
      /** Audit rows are kept this many days. Default 3650 (ten years). */
      auditDays: z.number().int().positive().default(3650),
    })
    .prefault({}),
  alerts: z
    .object({
      /**
       * When set, every alert is POSTed here when it opens, escalates and resolves, signed like callbacks. Must be
       * `https` in production (plain `http` only to a loopback address).
       */
      webhookUrl: z.url().optional(),
      /**
       * Signs alert webhooks (env ALERT_WEBHOOK_SECRET). Default: `platform.callbackSecret`; with `webhookUrl` set and
       * neither given, start-up stops. Never `hooks.secret`: whoever verifies alerts could then forge hooks.
       */
      webhookSecret: z.string().min(16, 'must be at least 16 characters').optional(),
      /** E-mail through SMTP: `url` `smtp://user:pass@host:587` or `smtps://…` (env ALERT_SMTP_URL), `from`, `to`. */
      email: z
        .object({
          url: z.string().regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://'),
          from: z.string().min(3),
          to: z.array(z.string().min(3)).min(1),
        })
        .optional(),
      /** Hours after an alert opened at which it is escalated (notified again). Default 12, 24, 36. */
      escalateAfterHours: z.array(z.number().positive()).default([12, 24, 36]),
      /** How often open alerts are looked at (escalation, causes gone, hourly retries). Default 1 min. */
      sweepIntervalMs: z.number().int().min(1000).default(60_000),
      /** A failed renewal of an active service, and an unreachable licensing server, are tried again this often. Default 1 hour. */
      retryEveryMs: z
        .number()
        .int()
        .min(1000)
        .default(60 * 60 * 1000),
      /** `pool_low`: licenses ordered for services in this many days while the pool had none. Default 30. */
      poolLowWindowDays: z.number().int().positive().default(30),
      /** Total deadline of one webhook or e-mail delivery. Default 10 s. */
      deliveryTimeoutMs: z.number().int().positive().max(120_000).default(10_000),
    })
    .prefault({}),
  metrics: z
    .object({
      /** Serve `GET /metrics` without a token (e.g. to a Prometheus on a private network). Default false. */
      public: z.boolean().default(false),
      /** Gauges read from the database (pool, alerts, money) are cached this long between scrapes. Default 5 s. */
      cacheMs: z.number().int().min(0).default(5000),
      /**
       * A process of role `worker` serves no API; with this set it serves its own `GET /metrics` (its operation and
       * upstream counters, same tokens) on `http.host` at this port. Default: none.
       */
      port: z.number().int().min(0).max(65535).optional(),
    })
    .prefault({}),
  /** Licensing servers, enumerations, tariff plans and period comparisons applied idempotently at start. */
  catalog: catalogConfigSchema.optional(),
});

export type ConfigInput = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;

/** The configuration after defaults, environment overrides and secrets have been filled in. */
export type Config = Omit<ParsedConfig, 'http' | 'database' | 'hooks' | 'encryptionKey' | 'encryptionKeyPrevious'> & {
  http: ParsedConfig['http'] & { host: string };
  database: { url: string };
  hooks: { secret: string; toleranceSeconds: number };
  encryptionKey: Buffer;
  /** The key before the last rotation, which still decrypts until `npm run rotate-key` has run. */
  encryptionKeyPrevious: Buffer | null;
};
