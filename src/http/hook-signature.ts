import type { Request, RequestHandler } from 'express';
import { UnauthorizedError } from '../errors';
import { verifySignature } from '../platform/signature';

/** Raw bytes of a request body, kept for signature checks. */
export type RequestWithRawBody = Request & { rawBody?: Buffer };

/** Rejects (401) any request whose raw body is not signed with the hook secret; runs before the body is parsed. */
export function requireHookSignature(secret: string, toleranceSeconds: number): RequestHandler {
  return (req, _res, next) => {
    const rawBody = (req as RequestWithRawBody).rawBody ?? Buffer.alloc(0);
    const verdict = verifySignature(secret, req.get('x-signature'), rawBody, toleranceSeconds);
    if (!verdict.ok) {
      next(new UnauthorizedError(verdict.reason));
      return;
    }
    next();
  };
}
