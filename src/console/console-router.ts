import express, { type ErrorRequestHandler, type RequestHandler, type Router } from 'express';
import type { Logger } from 'pino';
import type { ConsoleSessionStore } from '../db/console-session-store';
import type { BearerToken } from '../http/access';
import { requireCsrf } from './csrf';
import { html } from './html';
import { renderPage } from './layout';
import type { PageKit } from './page-kit';
import { catalogPages } from './pages/catalog';
import { licensePages } from './pages/license';
import { licenseListPages } from './pages/licenses';
import { operationPages } from './pages/operations';
import { overviewPages } from './pages/overview';
import { poolPages } from './pages/pool';
import { signInPages, signOutPage } from './pages/sign-in';
import { ConsoleSessions, requireSignedIn } from './session';
import { staticAssets } from './static-assets';

export interface ConsoleOptions {
  tokens: readonly BearerToken[];
  sessions: ConsoleSessionStore;
  /** Where this process's admin API answers the console (its loopback listener); null until it listens. */
  apiUrl: () => string | null;
  logger: Logger;
  now?: () => Date;
}

/** Pages only from this origin, no framing, no inline script. */
const securityHeaders: RequestHandler = (_req, res, next) => {
  res.set({
    'Content-Security-Policy':
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'same-origin',
  });
  next();
};

/** The provider console, mounted at `/console` (README "The provider console"). */
export function createConsoleRouter(options: ConsoleOptions): Router {
  const sessions = new ConsoleSessions({
    tokens: options.tokens,
    store: options.sessions,
    apiUrl: options.apiUrl,
    now: options.now ?? (() => new Date()),
  });
  const kit: PageKit = { sessions };
  const router = express.Router();
  router.use(securityHeaders);
  router.use('/static', staticAssets());
  router.use(express.urlencoded({ extended: false, limit: '256kb', parameterLimit: 200 }));
  router.use(sessions.load());
  signInPages(router, kit);
  router.use(requireSignedIn);
  router.use((req, res, next) =>
    req.method === 'GET' || req.method === 'HEAD' ? next() : requireCsrf(req, res, next),
  );
  signOutPage(router, kit);
  overviewPages(router, kit);
  licenseListPages(router, kit);
  licensePages(router, kit);
  poolPages(router, kit);
  operationPages(router, kit);
  catalogPages(router, kit);
  router.use((req, res) => {
    res
      .status(404)
      .type('html')
      .send(
        page('Not found', html`<p>No console page at <code>${req.path}</code>. <a href="/console">Overview</a></p>`),
      );
  });
  router.use(errorPage(options.logger));
  return router;
}

function page(title: string, body: ReturnType<typeof html>): string {
  return renderPage({ title, section: 'overview', signedIn: null, body });
}

function errorPage(logger: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const status = typeof error?.status === 'number' && error.status >= 400 && error.status < 500 ? error.status : 500;
    if (status === 500) logger.error({ err: error, path: req.path }, 'console page failed');
    if (res.headersSent) return;
    const message =
      status === 500 ? 'Something went wrong on the server; it is in the log.' : 'The request could not be read.';
    res
      .status(status)
      .type('html')
      .send(
        page(
          'Something went wrong',
          html`<p>${message}</p>
            <p><a href="/console">Back to the overview</a></p>`,
        ),
      );
  };
}
