const REDACTED = '[redacted]';
const MAX_REMEMBERED = 256;

/**
 * Remembers the secrets one client handles (password, session ids, activation keys) and blanks them out of any text
 * bound for an error message, an error's cause or a log line. Text from the upstream (`<msg>`) passes through here
 * too, in case it echoes what we sent.
 */
export class SecretRedactor {
  private readonly permanent: ReadonlySet<string>;
  private readonly recent = new Set<string>();

  /** @param permanent secrets known from the start (the password), kept for the redactor's whole life. */
  constructor(permanent: readonly string[]) {
    this.permanent = new Set(permanent.flatMap(variantsOf));
  }

  /** Adds a secret seen at run time (a session id, an activation key); only the most recent ones are kept. */
  remember(secret: string | null | undefined): void {
    for (const variant of variantsOf(secret ?? '')) {
      this.recent.delete(variant);
      this.recent.add(variant);
    }
    for (const oldest of this.recent) {
      if (this.recent.size <= MAX_REMEMBERED) break;
      this.recent.delete(oldest);
    }
  }

  /** The text with every remembered secret (and its URL-encoded forms) replaced by `[redacted]`. */
  redact(text: string): string {
    const secrets = [...this.permanent, ...this.recent].sort((a, b) => b.length - a.length);
    return secrets.reduce((result, secret) => result.split(secret).join(REDACTED), text);
  }
}

function variantsOf(secret: string): string[] {
  if (secret.length === 0) return [];
  const formEncoded = new URLSearchParams({ s: secret }).toString().slice(2);
  return [...new Set([secret, encodeURIComponent(secret), formEncoded])];
}
