import express, { type Express, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import { errorMiddleware, notFoundHandler } from './error-middleware';
import type { AuditStore } from '../db/audit-store';
import type { BearerToken, RouteAuth } from './access';
import { requireJsonBody, requireRole } from './guards';
import { buildOpenApiDocument } from './openapi';
import { defineRoute, mountRoutes, type AnyRouteSpec } from './route-registry';
import { requestLogger } from './request-logger';
import { requireHookSignature, type RequestWithRawBody } from './hook-signature';
import { HOOK_EVENTS } from '../domain/lifecycle';
import { InvalidInputError } from '../errors';

export interface HttpAppOptions {
  logger: Logger;
  /** The named bearer tokens (`auth.tokens` and the environment's); a route takes those of the roles it names. */
  tokens: readonly BearerToken[];
  /** Where admin writes are recorded, with the caller's token name as the actor. */
  audit: Pick<AuditStore, 'record'>;
  bodyLimitBytes: number;
  version: string;
  /** Every route of the service; the OpenAPI document is built from them. */
  routes: readonly AnyRouteSpec[];
  /** Hooks under `/v1/hooks/` are signed with this secret; the signature is checked on the raw body first. */
  hooks?: { secret: string; toleranceSeconds: number };
  /**
   * Pages served beside the API and outside its route table (the queue dashboard): each mount's handlers check
   * their own caller; errors answer in the contract's shape.
   */
  mounts?: ReadonlyArray<{ path: string; handlers: RequestHandler[] }>;
  /**
   * The provider console, served at `/console` to browsers (forms, a session cookie): none of the API's bearer or
   * JSON rules apply to it, and it is not in the OpenAPI document. It calls the API like any client.
   */
  console?: RequestHandler;
}

export function createHttpApp(options: HttpAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(requestLogger(options.logger));
  if (options.console) app.use('/console', options.console);
  if (options.hooks) {
    // Only the known events: an unknown one is a plain 404, signed or not.
    app.use(
      HOOK_EVENTS.map((event) => `/v1/hooks/${event}`),
      express.raw({ type: () => true, limit: options.bodyLimitBytes }),
      keepRawBody,
      requireHookSignature(options.hooks.secret, options.hooks.toleranceSeconds),
      requireJsonBody,
      parseJsonBody,
    );
  }
  app.use(requireJsonBody);
  app.use(
    express.json({
      limit: options.bodyLimitBytes,
      strict: false,
      verify: (req, _res, buf) => {
        (req as RequestWithRawBody).rawBody = buf;
      },
    }),
  );

  const openApiRoute = defineRoute({
    method: 'get',
    path: '/v1/openapi.json',
    tag: 'meta',
    auth: 'public',
    summary: 'This document',
    responses: { 200: { description: 'OpenAPI 3.1' } },
    handler: async () => ({ status: 200, body: openApiDocument }),
  });
  const routes = [...options.routes, openApiRoute];
  const openApiDocument = buildOpenApiDocument(routes, { version: options.version });

  // Hooks are checked above, on the raw body, before any route runs.
  const guardsFor = (auth: RouteAuth): RequestHandler[] => {
    if (typeof auth !== 'object') return [];
    if (!auth.roles.includes('admin')) throw new Error(`the admin role reaches every route: ${auth.roles.join(', ')}`);
    return [requireRole(options.tokens, auth.roles)];
  };
  const router = express.Router();
  mountRoutes(router, routes, {
    guardsFor,
    recordAdminWrite: (actor, write) => options.audit.record({ actor: actor.name, ...write }, new Date()),
  });
  app.use(router);
  for (const mount of options.mounts ?? []) app.use(mount.path, ...mount.handlers);
  app.use(notFoundHandler);
  app.use(errorMiddleware(options.logger));
  return app;
}

const keepRawBody: RequestHandler = (req, _res, next) => {
  (req as RequestWithRawBody).rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  next();
};

/** The hooks' JSON, parsed only after the signature over the raw bytes has been checked. */
const parseJsonBody: RequestHandler = (req, _res, next) => {
  const raw = (req as RequestWithRawBody).rawBody!;
  if (raw.length === 0) {
    req.body = undefined;
    next();
    return;
  }
  try {
    req.body = JSON.parse(raw.toString('utf8'));
    next();
  } catch {
    next(new InvalidInputError('the request body is not valid JSON', null, 'invalid_json'));
  }
};
