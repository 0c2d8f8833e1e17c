import { randomBytes } from 'node:crypto';
import { SandboxApiError } from './api-error';
import type { SandboxClock } from './clock';

/** A session ends after this long without calls (sandbox clock). */
export const SESSION_IDLE_MS = 60 * 60 * 1000;

interface Session {
  username: string;
  lastUsedMs: number;
}

/** `func=auth` sessions, expiring after an hour idle on the sandbox clock. */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly clock: SandboxClock) {}

  /** Opens a session for an authenticated user; returns its id. */
  open(username: string): string {
    this.forgetExpired();
    const id = randomBytes(16).toString('hex');
    this.sessions.set(id, { username, lastUsedMs: this.clock.now().getTime() });
    return id;
  }

  /** The username of a live session (which the call keeps alive), or an `auth` error. */
  use(id: string): string {
    const session = this.sessions.get(id);
    const nowMs = this.clock.now().getTime();
    if (!session || this.isExpired(session, nowMs)) {
      this.sessions.delete(id);
      throw new SandboxApiError('auth', 'session', 'Session expired or unknown; authenticate again');
    }
    session.lastUsedMs = nowMs;
    return session.username;
  }

  clear(): void {
    this.sessions.clear();
  }

  private isExpired(session: Session, nowMs: number): boolean {
    return nowMs - session.lastUsedMs >= SESSION_IDLE_MS;
  }

  private forgetExpired(): void {
    const nowMs = this.clock.now().getTime();
    for (const [id, session] of this.sessions) if (this.isExpired(session, nowMs)) this.sessions.delete(id);
  }
}
