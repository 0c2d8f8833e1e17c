import crypto from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import { ForbiddenError, UnauthorizedError, UnsupportedMediaTypeError } from '../errors';
import type { Actor, BearerToken, TokenRole } from './access';

/** Constant-time comparison of two strings of any length. */
export function safeEqual(a: string, b: string): boolean {
  const digest = (s: string) => crypto.createHash('sha256').update(s).digest();
  return crypto.timingSafeEqual(digest(a), digest(b));
}

/**
 * `Authorization: Bearer <token>` of one of `roles`, or 401 `unauthorized` (no token, an unknown one) or 403
 * `forbidden` (a known token whose role does not reach). The token is compared with every configured token, each in
 * constant time and without stopping at a match, so the answer time does not tell which one nearly matched. The
 * caller is left in `res.locals.actor` (read it with `actorOf`).
 */
export function requireRole(tokens: readonly BearerToken[], roles: readonly TokenRole[]): RequestHandler {
  return (req, res, next) => {
    const match = /^Bearer (.+)$/.exec(req.get('authorization') ?? '');
    const caller = match ? findToken(tokens, match[1]!) : undefined;
    if (!caller) {
      next(new UnauthorizedError('a valid bearer token is required'));
      return;
    }
    if (!roles.includes(caller.role)) {
      next(new ForbiddenError(`the role "${caller.role}" of this token does not reach this route`, { roles }));
      return;
    }
    const actor: Actor = { name: caller.name, role: caller.role };
    res.locals.actor = actor;
    next();
  };
}

/** The configured token equal to `presented`, compared with each in constant time; undefined when none is. */
export function findToken(tokens: readonly BearerToken[], presented: string): BearerToken | undefined {
  let found: BearerToken | undefined;
  for (const candidate of tokens) {
    if (safeEqual(presented, candidate.token)) found = candidate;
  }
  return found;
}

/** The caller that `requireRole` let through, or null on a public or hook route. */
export function actorOf(res: Response): Actor | null {
  return (res.locals.actor as Actor | undefined) ?? null;
}

/** A request that carries a body must say it is JSON. */
export const requireJsonBody: RequestHandler = (req, _res, next) => {
  const hasBody = Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
  if (hasBody && !req.is('application/json')) {
    next(new UnsupportedMediaTypeError('the request body must be application/json'));
    return;
  }
  next();
};
