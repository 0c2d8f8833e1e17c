import crypto from 'node:crypto';
import type { RequestHandler } from 'express';
import { UnauthorizedError, UnsupportedMediaTypeError } from '../errors';

/** Constant-time comparison of two strings of any length. */
export function safeEqual(a: string, b: string): boolean {
  const digest = (s: string) => crypto.createHash('sha256').update(s).digest();
  return crypto.timingSafeEqual(digest(a), digest(b));
}

/** `Authorization: Bearer <admin.token>` or 401. */
export function requireAdminToken(token: string): RequestHandler {
  return (req, _res, next) => {
    const match = /^Bearer (.+)$/.exec(req.get('authorization') ?? '');
    if (!match || !safeEqual(match[1]!, token)) {
      next(new UnauthorizedError('a valid admin bearer token is required'));
      return;
    }
    next();
  };
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
