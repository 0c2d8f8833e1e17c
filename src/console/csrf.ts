import type { Request, RequestHandler } from 'express';
import { safeEqual } from '../http/guards';
import type { SignedIn } from './session';

/** The hidden field every console form carries. */
export const CSRF_FIELD = '_csrf';

/**
 * Every console write carries the session's CSRF token in a hidden field, and comes from this origin when the browser
 * says where it comes from. The session cookie is SameSite=Strict as well: two fences, not one.
 */
export const requireCsrf: RequestHandler = (req, res, next) => {
  const signedIn = res.locals.console as SignedIn | undefined;
  const sent = (req.body as Record<string, unknown> | undefined)?.[CSRF_FIELD];
  if (!signedIn || typeof sent !== 'string' || !safeEqual(sent, signedIn.session.csrfToken) || !sameOrigin(req)) {
    res.status(403).type('text/plain').send('Refused: this form was not sent from a page of this console session.');
    return;
  }
  next();
};

/** True unless the browser's Origin header names another origin. */
export function sameOrigin(req: Request): boolean {
  const origin = req.get('origin');
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.get('host');
  } catch {
    return false;
  }
}
