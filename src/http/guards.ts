import crypto from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { ForbiddenError, UnauthorizedError, UnsupportedMediaTypeError } from '../errors';
import type { Actor, BearerToken, TokenRole } from './access';

/** Constant-time comparison of two strings of any length. */
export function safeEqual(a: string, b: string): boolean {
  const digest = (s: string) => crypto.createHash('sha256').update(s).digest();
  return crypto.timingSafeEqual(digest(a), digest(b));
}

/**
 * Says who is calling from one kind of credential, or null when the request carries none of its kind that it knows.
 * Bearer tokens are the only kind today; a guard takes a list, so another (a console session) can be added beside.
 */
export type CredentialSource = (req: Request) => Actor | null;

/**
 * `Authorization: Bearer <token>`. The token is compared with every configured token, each in constant time and
 * without stopping at a match, so the answer time does not tell which one nearly matched.
 */
export function bearerCredentials(tokens: readonly BearerToken[]): CredentialSource {
  return (req) => {
    const match = /^Bearer (.+)$/.exec(req.get('authorization') ?? '');
    const caller = match ? findToken(tokens, match[1]!) : undefined;
    return caller ? { name: caller.name, role: caller.role } : null;
  };
}

/**
 * A caller of one of `roles`, found by the first credential source that knows the request, or 401 `unauthorized`
 * (no credential, an unknown one) or 403 `forbidden` (a known caller whose role does not reach). The caller is left
 * in `res.locals.actor` (read it with `actorOf`).
 */
export function requireCaller(sources: readonly CredentialSource[], roles: readonly TokenRole[]): RequestHandler {
  return (req, res, next) => {
    let actor: Actor | null = null;
    for (const source of sources) actor ??= source(req);
    if (!actor) {
      next(new UnauthorizedError('a valid bearer token is required'));
      return;
    }
    if (!roles.includes(actor.role)) {
      next(new ForbiddenError(`the role "${actor.role}" of this token does not reach this route`, { roles }));
      return;
    }
    res.locals.actor = actor;
    next();
  };
}

/** `Authorization: Bearer <token>` of one of `roles` (see `requireCaller`). */
export function requireRole(tokens: readonly BearerToken[], roles: readonly TokenRole[]): RequestHandler {
  return requireCaller([bearerCredentials(tokens)], roles);
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
