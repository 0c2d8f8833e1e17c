import { ConfigError } from '../errors';
import type { ParsedConfig } from './schema';

/** One bearer token as the configuration gives it. */
export type ConfiguredToken = ParsedConfig['auth']['tokens'][number];

/** A token and the field or variable it came from, for messages that name it. */
interface SourcedToken {
  token: ConfiguredToken;
  source: string;
}

/** Each of these variables adds one token with a fixed name and role. */
const TOKEN_VARIABLES = [
  { variable: 'ADMIN_TOKEN', name: 'admin', role: 'admin' },
  { variable: 'PLATFORM_TOKEN', name: 'platform', role: 'platform' },
  { variable: 'VIEWER_TOKEN', name: 'viewer', role: 'viewer' },
] as const;

const MIN_TOKEN_LENGTH = 16;

/** The file's `admin.token` is gone: say what replaced it rather than ignore it (and start without the token). */
export function rejectRetiredTokenField(fileContent: unknown): void {
  if (typeof fileContent === 'object' && fileContent !== null && 'admin' in fileContent) {
    throw new ConfigError(
      'admin.token: no longer read; give the admin token as ADMIN_TOKEN or in auth.tokens ' +
        '([{"name": "admin", "role": "admin", "token": "…"}])',
    );
  }
}

/**
 * The tokens of `auth.tokens` and of the environment, in that order, plus `generatedAdminToken` (development's
 * token from varDir, given only when no `admin` token is configured). Throws a `ConfigError` naming the field or
 * variable when a token is shorter than 16 characters, or a name or a token value appears twice.
 */
export function assembleTokens(
  fromFile: readonly ConfiguredToken[],
  env: NodeJS.ProcessEnv,
  generatedAdminToken?: { token: string; source: string },
): ConfiguredToken[] {
  const tokens: SourcedToken[] = [
    ...fromFile.map((token, index) => ({ token, source: `auth.tokens[${index}]` })),
    ...tokensFromEnvironment(env),
  ];
  if (generatedAdminToken) {
    tokens.push({
      token: { name: 'admin', role: 'admin', token: generatedAdminToken.token },
      source: generatedAdminToken.source,
    });
  }
  refuseDuplicates(tokens);
  return tokens.map(({ token }) => token);
}

/** True when one of the configured tokens (file or environment) has the `admin` role. */
export function hasAdminToken(fromFile: readonly ConfiguredToken[], env: NodeJS.ProcessEnv): boolean {
  return [...fromFile, ...tokensFromEnvironment(env).map(({ token }) => token)].some((t) => t.role === 'admin');
}

function tokensFromEnvironment(env: NodeJS.ProcessEnv): SourcedToken[] {
  const tokens: SourcedToken[] = [];
  for (const { variable, name, role } of TOKEN_VARIABLES) {
    const value = env[variable];
    if (value === undefined || value === '') continue;
    if (value.length < MIN_TOKEN_LENGTH)
      throw new ConfigError(`${variable}: must be at least ${MIN_TOKEN_LENGTH} characters`);
    tokens.push({ token: { name, role, token: value }, source: variable });
  }
  return tokens;
}

function refuseDuplicates(tokens: readonly SourcedToken[]): void {
  for (let i = 0; i < tokens.length; i++) {
    for (let j = 0; j < i; j++) {
      const [earlier, later] = [tokens[j]!, tokens[i]!];
      if (earlier.token.name === later.token.name)
        throw new ConfigError(
          `auth.tokens: the name "${later.token.name}" is given twice (${earlier.source} and ${later.source}); ` +
            'names must be unique',
        );
      if (earlier.token.token === later.token.token)
        throw new ConfigError(
          `auth.tokens: ${earlier.source} and ${later.source} have the same token; each token must be different`,
        );
    }
  }
}
