import type { SandboxCall } from './types';

/** Parameters never written to the call log: credentials and session ids. */
const SECRET_PARAMS = new Set(['password', 'passwd', 'auth', 'authinfo']);

/** The request parameters fit for the log: without credentials, session ids or anything named like a password. */
export function loggableParams(params: Record<string, string>): Record<string, string> {
  const entries = Object.entries(params).filter(([name]) => !isSecretName(name));
  return Object.fromEntries(entries);
}

function isSecretName(name: string): boolean {
  const lower = name.toLowerCase();
  return SECRET_PARAMS.has(lower) || lower.includes('password') || lower.includes('secret');
}

/** Every API call since start or the last reset, oldest first. */
export class CallLog {
  private entries: SandboxCall[] = [];

  constructor(private readonly onCall?: (call: SandboxCall) => void) {}

  record(call: SandboxCall): void {
    this.entries.push(call);
    this.onCall?.(structuredClone(call));
  }

  /** A copy of the log. */
  list(): SandboxCall[] {
    return structuredClone(this.entries);
  }

  clear(): void {
    this.entries = [];
  }
}
