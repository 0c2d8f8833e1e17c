import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { z } from 'zod';
import { ConfigError } from '../errors';
import { assertOutboundUrlAllowed } from './callback-url';
import { assembleTokens, hasAdminToken, rejectRetiredTokenField } from './auth-tokens';
import { environmentFromVariable, resolveEnvironment, type Environment } from './environment';
import { configSchema, type Config, type ParsedConfig } from './schema';
import { alertWebhookSecret, assertWorkerTiming, longestConfiguredTimeoutMs, resolveTlsFiles } from './startup-checks';
import { generateEncryptionKey, parseEncryptionKey } from '../security/secret-box';

export { ConfigError };

export interface LoadConfigOptions {
  /** `--config PATH`; otherwise `CONFIG`; otherwise `config.example.json` in development (only there). */
  configPath?: string;
  /**
   * The environment when neither `NODE_ENV` nor the file's `env` names one: the entry point's choice (`npm start`
   * passes `development`). Default `production`, so nothing becomes development by accident.
   */
  defaultEnv?: Environment;
  env?: NodeJS.ProcessEnv;
  /** The project folder, against which relative paths are read. */
  cwd?: string;
}

export interface LoadedConfig {
  config: Config;
  /** Things worth one log line at start: which file was read, where generated secrets live. */
  notes: string[];
  /** The configuration file read (as given or found), or null when none was. */
  configFile: string | null;
}

const SECRETS_FILE = 'secrets.json';

/** Reads, overrides, validates and completes the configuration, or throws a `ConfigError` naming the field. */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const notes: string[] = [];
  const defaultEnv = options.defaultEnv ?? 'production';
  const envBeforeFile = environmentFromVariable(env.NODE_ENV) ?? defaultEnv;
  const configPath =
    options.configPath ?? env.CONFIG ?? (envBeforeFile === 'development' ? defaultConfigPath(cwd) : undefined);
  const fileContent = configPath ? readConfigFile(path.resolve(cwd, configPath)) : {};
  if (configPath) notes.push(`configuration read from ${configPath}`);

  rejectRetiredTokenField(fileContent);
  const parsed = validate(applyEnvironment(fileContent, env, defaultEnv));
  assertWorkerTiming(parsed, longestConfiguredTimeoutMs(parsed.catalog));
  assertOutboundUrlAllowed('platform.callbackUrl', parsed.platform.callbackUrl, parsed.env);
  assertOutboundUrlAllowed('alerts.webhookUrl', parsed.alerts.webhookUrl, parsed.env);
  alertWebhookSecret(parsed);
  const isProduction = parsed.env === 'production';
  const varDir = path.resolve(cwd, parsed.varDir);
  const needsAdminToken = !hasAdminToken(parsed.auth.tokens, env);
  const secrets = completeSecrets(parsed, varDir, isProduction, needsAdminToken, notes);
  const encryptionKey = parseEncryptionKey(secrets.encryptionKey);
  if (!encryptionKey)
    throw new ConfigError('encryptionKey (ENCRYPTION_KEY): must be 32 bytes as 64 hex characters or base64');

  const encryptionKeyPrevious = parsed.encryptionKeyPrevious ? parseEncryptionKey(parsed.encryptionKeyPrevious) : null;
  if (parsed.encryptionKeyPrevious && !encryptionKeyPrevious)
    throw new ConfigError(
      'encryptionKeyPrevious (ENCRYPTION_KEY_PREVIOUS): must be 32 bytes as 64 hex characters or base64',
    );

  return {
    notes,
    configFile: configPath ?? null,
    config: {
      ...parsed,
      varDir,
      http: {
        ...parsed.http,
        host: parsed.http.host ?? (parsed.env === 'development' ? '127.0.0.1' : '0.0.0.0'),
        tls: resolveTlsFiles(parsed.http.tls, cwd),
      },
      database: { url: parsed.database.url ?? `sqlite:${path.join(varDir, 'licenses.sqlite')}` },
      hooks: { ...parsed.hooks, secret: secrets.hookSecret },
      auth: {
        tokens: assembleTokens(
          parsed.auth.tokens,
          env,
          secrets.adminToken ? { token: secrets.adminToken, source: `${SECRETS_FILE} (adminToken)` } : undefined,
        ),
      },
      encryptionKey,
      encryptionKeyPrevious,
    },
  };
}

function defaultConfigPath(cwd: string): string | undefined {
  return fs.existsSync(path.join(cwd, 'config.example.json')) ? 'config.example.json' : undefined;
}

function readConfigFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read the configuration file ${file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`the configuration file ${file} is not valid JSON: ${(error as Error).message}`);
  }
}

/** Environment variables win over the file; `env` is NODE_ENV, else the file's, else `defaultEnv`. */
function applyEnvironment(fileContent: unknown, env: NodeJS.ProcessEnv, defaultEnv: Environment): unknown {
  if (typeof fileContent !== 'object' || fileContent === null || Array.isArray(fileContent)) {
    throw new ConfigError('the configuration file must hold a JSON object');
  }
  const config = structuredClone(fileContent) as Record<string, Record<string, unknown> | unknown>;
  const section = (name: string): Record<string, unknown> => {
    const existing = config[name];
    const value = typeof existing === 'object' && existing !== null ? (existing as Record<string, unknown>) : {};
    config[name] = value;
    return value;
  };
  config.env = resolveEnvironment({ nodeEnv: env.NODE_ENV, fileEnv: config.env, defaultEnv });
  if (env.PORT !== undefined) section('http').port = parsePort(env.PORT);
  if (env.DATABASE_URL) section('database').url = env.DATABASE_URL;
  if (env.REDIS_URL) section('redis').url = env.REDIS_URL;
  if (env.HOOK_SECRET) section('hooks').secret = env.HOOK_SECRET;
  if (env.ENCRYPTION_KEY) config.encryptionKey = env.ENCRYPTION_KEY;
  if (env.ENCRYPTION_KEY_PREVIOUS) config.encryptionKeyPrevious = env.ENCRYPTION_KEY_PREVIOUS;
  if (env.CALLBACK_SECRET) section('platform').callbackSecret = env.CALLBACK_SECRET;
  if (env.ALERT_WEBHOOK_SECRET) section('alerts').webhookSecret = env.ALERT_WEBHOOK_SECRET;
  if (env.ALERT_SMTP_URL && isObject(config.alerts) && isObject(config.alerts.email))
    config.alerts.email.url = env.ALERT_SMTP_URL;
  if (env.LOG_LEVEL) section('log').level = env.LOG_LEVEL;
  return config;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ConfigError(`http.port (PORT): "${text}" is not a port number`);
  return port;
}

function validate(input: unknown): ParsedConfig {
  const result = configSchema.safeParse(input);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
}

interface Secrets {
  hookSecret: string;
  adminToken: string;
  encryptionKey: string;
}

const secretsFileSchema = z.object({ hookSecret: z.string(), adminToken: z.string(), encryptionKey: z.string() });

/** The secrets to run with; `adminToken` only when no `admin` token is configured (development's generated one). */
type CompletedSecrets = Omit<Secrets, 'adminToken'> & { adminToken?: string };

/**
 * Production needs every secret given, and at least one token of role `admin`; development generates missing ones
 * once into `varDir/secrets.json`.
 */
function completeSecrets(
  parsed: ParsedConfig,
  varDir: string,
  isProduction: boolean,
  needsAdminToken: boolean,
  notes: string[],
): CompletedSecrets {
  const given = { hookSecret: parsed.hooks.secret, encryptionKey: parsed.encryptionKey };
  if (given.hookSecret && given.encryptionKey && !needsAdminToken) return given as CompletedSecrets;
  if (isProduction) {
    const missing = [
      !given.hookSecret && 'hooks.secret (HOOK_SECRET)',
      needsAdminToken && 'an admin token (ADMIN_TOKEN, or auth.tokens with "role": "admin")',
      !given.encryptionKey && 'encryptionKey (ENCRYPTION_KEY)',
    ].filter(Boolean);
    throw new ConfigError(`missing secrets in production: ${missing.join(', ')}`);
  }
  const file = path.join(varDir, SECRETS_FILE);
  const stored = readOrCreateSecrets(file, notes);
  return {
    hookSecret: given.hookSecret ?? stored.hookSecret,
    encryptionKey: given.encryptionKey ?? stored.encryptionKey,
    ...(needsAdminToken ? { adminToken: stored.adminToken } : {}),
  };
}

function readOrCreateSecrets(file: string, notes: string[]): Secrets {
  if (fs.existsSync(file)) {
    let content: unknown = null;
    try {
      content = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch {
      // reported below as damaged
    }
    const parsed = secretsFileSchema.safeParse(content);
    if (!parsed.success) throw new ConfigError(`${file} is damaged; delete it to generate new development secrets`);
    notes.push(`development secrets read from ${file}`);
    return parsed.data;
  }
  const secrets: Secrets = {
    hookSecret: crypto.randomBytes(32).toString('hex'),
    adminToken: crypto.randomBytes(24).toString('base64url'),
    encryptionKey: generateEncryptionKey(),
  };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600 });
  notes.push(`development secrets generated into ${file} (admin token, hook secret, encryption key)`);
  return secrets;
}
