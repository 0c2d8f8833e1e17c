import type { Request, RequestHandler, Response, Router } from 'express';
import { z } from 'zod';
import { InvalidInputError } from '../errors';

export type RouteAuth = 'admin' | 'none' | 'hook';

/** What a handler returns: a status and a JSON body (none for 204). */
export interface RouteResult {
  status: number;
  body?: unknown;
}

export interface RouteContext<B, Q, P> {
  body: B;
  query: Q;
  params: P;
  req: Request;
  res: Response;
}

/**
 * One HTTP route: the schemas here both validate requests and describe the route in `/v1/openapi.json`, so the
 * published contract cannot drift from what the code accepts.
 */
export interface RouteSpec<B extends z.ZodType, Q extends z.ZodType, P extends z.ZodType> {
  method: 'get' | 'put' | 'post' | 'delete';
  /** Express-style path, e.g. `/v1/admin/enumerations/:key`. */
  path: string;
  summary: string;
  tag: string;
  auth: RouteAuth;
  body?: B;
  query?: Q;
  params?: P;
  responses: Record<number, { description: string; schema?: z.ZodType }>;
  handler: (ctx: RouteContext<z.output<B>, z.output<Q>, z.output<P>>) => Promise<RouteResult>;
}

export type AnyRouteSpec = RouteSpec<z.ZodType, z.ZodType, z.ZodType>;

export function defineRoute<
  B extends z.ZodType = z.ZodUnknown,
  Q extends z.ZodType = z.ZodUnknown,
  P extends z.ZodType = z.ZodUnknown,
>(spec: RouteSpec<B, Q, P>): AnyRouteSpec {
  return spec as unknown as AnyRouteSpec;
}

/** Turns zod's issues into the contract's 400 with a list of `{path, message}`. */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: 'body' | 'query' | 'path',
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    path: [where, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
  throw new InvalidInputError(`invalid ${where}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, {
    issues,
  });
}

/** Mounts routes on a router, each behind the middleware its `auth` asks for. */
export function mountRoutes(
  router: Router,
  routes: readonly AnyRouteSpec[],
  guards: Record<RouteAuth, RequestHandler[]>,
): void {
  for (const route of routes) {
    router[route.method](route.path, ...guards[route.auth], async (req: Request, res: Response) => {
      const body = route.body ? parseOrThrow(route.body, req.body ?? undefined, 'body') : undefined;
      const query = route.query ? parseOrThrow(route.query, req.query, 'query') : undefined;
      const params = route.params ? parseOrThrow(route.params, req.params, 'path') : undefined;
      const result = await route.handler({ body, query, params, req, res });
      if (result.body === undefined) res.status(result.status).end();
      else res.status(result.status).json(result.body);
    });
  }
}
