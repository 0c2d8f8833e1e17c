import express, { type Express, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import { errorMiddleware, notFoundHandler } from './error-middleware';
import { requireAdminToken, requireJsonBody } from './guards';
import { buildOpenApiDocument } from './openapi';
import { defineRoute, mountRoutes, type AnyRouteSpec, type RouteAuth } from './route-registry';
import { requestLogger } from './request-logger';

export interface HttpAppOptions {
  logger: Logger;
  adminToken: string;
  bodyLimitBytes: number;
  version: string;
  /** Every route of the service; the OpenAPI document is built from them. */
  routes: readonly AnyRouteSpec[];
  /** Middleware that checks hook signatures (added by the lifecycle). */
  hookGuards?: RequestHandler[];
}

/** Raw bytes of a JSON body, kept for signature checks. */
export type RequestWithRawBody = express.Request & { rawBody?: Buffer };

export function createHttpApp(options: HttpAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(requestLogger(options.logger));
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
    auth: 'none',
    summary: 'This document',
    responses: { 200: { description: 'OpenAPI 3.1' } },
    handler: async () => ({ status: 200, body: openApiDocument }),
  });
  const routes = [...options.routes, openApiRoute];
  const openApiDocument = buildOpenApiDocument(routes, { version: options.version });

  const guards: Record<RouteAuth, RequestHandler[]> = {
    none: [],
    admin: [requireAdminToken(options.adminToken)],
    hook: options.hookGuards ?? [],
  };
  const router = express.Router();
  mountRoutes(router, routes, guards);
  app.use(router);
  app.use(notFoundHandler);
  app.use(errorMiddleware(options.logger));
  return app;
}
