import crypto from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { Actor, BearerToken } from '../http/access';
import { findToken, safeEqual } from '../http/guards';
import type { ConsoleFlash, ConsoleSessionRecord, ConsoleSessionStore } from '../db/console-session-store';
import { ApiClient } from './api-client';

export const SESSION_COOKIE = 'plm_console';
/** A session ends after this long without a request… */
export const SESSION_IDLE_MS = 8 * 3600_000;
/** …and this long after sign-in, whatever the activity. */
export const SESSION_ABSOLUTE_MS = 24 * 3600_000;
/** `last_seen_at` is written at most this often, not on every page. */
const TOUCH_EVERY_MS = 60_000;

/** What a signed-in request carries (`res.locals.console`). */
export interface SignedIn {
  session: ConsoleSessionRecord;
  actor: Actor;
  /** The admin API, with this session's token as bearer. */
  api: ApiClient;
  /** May this token write (the admin role)? A viewer is offered no write at all. */
  canWrite: boolean;
}

export interface SessionOptions {
  tokens: readonly BearerToken[];
  store: ConsoleSessionStore;
  apiUrl: () => string | null;
  now: () => Date;
}

export type SignInResult =
  { ok: true } | { ok: false; reason: 'unknown' } | { ok: false; reason: 'role'; role: BearerToken['role'] };

/** Sessions: sign-in with a token, a random id in an HttpOnly SameSite=Strict cookie, the rest in the database. */
export class ConsoleSessions {
  constructor(private readonly options: SessionOptions) {}

  async signIn(presented: string, req: Request, res: Response): Promise<SignInResult> {
    const token = findToken(this.options.tokens, presented);
    if (!token) return { ok: false, reason: 'unknown' };
    if (token.role !== 'admin' && token.role !== 'viewer') return { ok: false, reason: 'role', role: token.role };
    const now = this.options.now();
    await this.options.store.removeExpired(now, SESSION_IDLE_MS);
    const id = crypto.randomBytes(32).toString('base64url');
    await this.options.store.create({
      idHash: sha256(id),
      tokenName: token.name,
      tokenHash: sha256(token.token),
      role: token.role,
      csrfToken: crypto.randomBytes(32).toString('base64url'),
      createdAt: now,
      lastSeenAt: now,
      expiresAt: new Date(now.getTime() + SESSION_ABSOLUTE_MS),
    });
    res.append('Set-Cookie', sessionCookie(id, req, SESSION_ABSOLUTE_MS / 1000));
    return { ok: true };
  }

  async signOut(req: Request, res: Response): Promise<void> {
    const id = cookieOf(req, SESSION_COOKIE);
    if (id) await this.options.store.remove(sha256(id));
    res.append('Set-Cookie', sessionCookie('', req, 0));
  }

  /** Leaves the live session of the request, if any, in `res.locals.console`. */
  load(): RequestHandler {
    return async (req, res, next) => {
      try {
        const signedIn = await this.find(req);
        if (signedIn) res.locals.console = signedIn;
        next();
      } catch (error) {
        next(error);
      }
    };
  }

  async setFlash(signedIn: SignedIn, flash: ConsoleFlash): Promise<void> {
    await this.options.store.setFlash(signedIn.session.idHash, flash);
  }

  async takeFlash(signedIn: SignedIn): Promise<ConsoleFlash | null> {
    return this.options.store.takeFlash(signedIn.session.idHash);
  }

  private async find(req: Request): Promise<SignedIn | null> {
    const id = cookieOf(req, SESSION_COOKIE);
    if (!id) return null;
    const now = this.options.now();
    const session = await this.options.store.findLive(sha256(id), now, SESSION_IDLE_MS);
    if (!session) return null;
    // The token is read from the configuration by name; one changed or removed there ends the session.
    const token = this.options.tokens.find((t) => t.name === session.tokenName);
    if (!token || token.role !== session.role || !safeEqual(sha256(token.token), session.tokenHash)) {
      await this.options.store.remove(session.idHash);
      return null;
    }
    if (now.getTime() - session.lastSeenAt.getTime() > TOUCH_EVERY_MS)
      await this.options.store.touch(session.idHash, now);
    return {
      session,
      actor: { name: token.name, role: token.role },
      api: new ApiClient(this.options.apiUrl, token.token),
      canWrite: token.role === 'admin',
    };
  }
}

/** The signed-in session of a request that passed `requireSignedIn`. */
export function signedInOf(res: Response): SignedIn {
  const signedIn = res.locals.console as SignedIn | undefined;
  if (!signedIn) throw new Error('no console session on this request');
  return signedIn;
}

/** Pages need a session: without one, the sign-in page (and back here afterwards, for a GET). */
export const requireSignedIn: RequestHandler = (req, res, next) => {
  if (res.locals.console) {
    next();
    return;
  }
  const back = req.method === 'GET' ? `?next=${encodeURIComponent(req.originalUrl)}` : '';
  res.redirect(303, `/console/sign-in${back}`);
};

export function sha256(text: string): string {
  return crypto.createHash('sha256').update(text).digest('hex');
}

function sessionCookie(value: string, req: Request, maxAgeSeconds: number): string {
  const secure = req.secure ? '; Secure' : '';
  return `${SESSION_COOKIE}=${value}; Path=/console; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure}`;
}

function cookieOf(req: Request, name: string): string | null {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=') || null;
  }
  return null;
}
