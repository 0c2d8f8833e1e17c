import type { Request, RequestHandler, Response, Router } from 'express';
import { z } from 'zod';
import type { AuditEntry } from '../db/audit-store';
import { InvalidInputError } from '../errors';
import type { Actor, RouteAuth } from './access';
import { actorOf } from './guards';

export type { RouteAuth } from './access';

/** What a handler returns: a status and a JSON body (none for 204), or a text body of `contentType`. */
export interface RouteResult {
  status: number;
  body?: unknown;
  /** Sends `body` (a string) as is with this content type instead of as JSON (e.g. `GET /metrics`). */
  contentType?: string;
}

export interface RouteContext<B, Q, P> {
  body: B;
  query: Q;
  params: P;
  req: Request;
  res: Response;
  /** Who called: set on every bearer-token route, null on public and hook routes. */
  actor: Actor | null;
}

/** What an admin write touched, for its row in the audit trail (the actor is the caller's token name). */
export interface AdminWrite {
  /** `admin.<what>.<verb>`, e.g. `admin.tariff_plan.put`. */
  action: `admin.${string}`;
  subjectType: AuditEntry['subjectType'];
  subjectId: string;
  /** The license, service and operation the write touched, beside its subject (a manual action: its license and operation). */
  licenseId?: string | null;
  serviceId?: string | null;
  operationId?: string | null;
  /** Safe details only: never a password, a token or an activation key. */
  details?: Record<string, unknown>;
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
  /** Who may call it; bearer-token routes list the roles they take (CONTRACT.md, "Roles and tokens"). */
  auth: RouteAuth;
  body?: B;
  query?: Q;
  params?: P;
  /** `mediaType` names a non-JSON answer (e.g. `text/plain`); `schema` describes a JSON one. */
  responses: Record<number, { description: string; schema?: z.ZodType; mediaType?: string }>;
  handler: (ctx: RouteContext<z.output<B>, z.output<Q>, z.output<P>>) => Promise<RouteResult>;
  /**
   * Required of every write under `/v1/admin/`: what the write touched, recorded in the audit trail right after the
   * handler succeeded (a 4xx changed nothing and leaves no row).
   */
  audit?: (
    ctx: RouteContext<z.output<B>, z.output<Q>, z.output<P>>,
    result: RouteResult,
  ) => AdminWrite | Promise<AdminWrite>;
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

export interface MountOptions {
  /** The middleware in front of a route, by what its `auth` asks for. */
  guardsFor: (auth: RouteAuth) => RequestHandler[];
  /** Records an admin write in the audit trail. */
  recordAdminWrite: (actor: Actor, write: AdminWrite) => Promise<void>;
}

/** A write (PUT, POST, DELETE) under `/v1/admin/`: each one must leave a row in the audit trail. */
export function isAdminWrite(route: Pick<AnyRouteSpec, 'method' | 'path'>): boolean {
  return route.method !== 'get' && route.path.startsWith('/v1/admin/');
}

/** Mounts routes on a router, each behind the guards its `auth` asks for; admin writes are audited on success. */
export function mountRoutes(router: Router, routes: readonly AnyRouteSpec[], options: MountOptions): void {
  for (const route of routes) {
    if (isAdminWrite(route) && (!route.audit || typeof route.auth !== 'object'))
      throw new Error(
        `${route.method.toUpperCase()} ${route.path} is an admin write without a token and an audit record`,
      );
    router[route.method](route.path, ...options.guardsFor(route.auth), async (req: Request, res: Response) => {
      const body = route.body ? parseOrThrow(route.body, req.body ?? undefined, 'body') : undefined;
      const query = route.query ? parseOrThrow(route.query, req.query, 'query') : undefined;
      const params = route.params ? parseOrThrow(route.params, req.params, 'path') : undefined;
      const ctx = { body, query, params, req, res, actor: actorOf(res) };
      const result = await route.handler(ctx);
      if (route.audit && ctx.actor && result.status < 300) {
        await options.recordAdminWrite(ctx.actor, await route.audit(ctx, result));
      }
      if (result.body === undefined) res.status(result.status).end();
      else if (result.contentType) res.status(result.status).type(result.contentType).send(String(result.body));
      else res.status(result.status).json(result.body);
    });
  }
}
