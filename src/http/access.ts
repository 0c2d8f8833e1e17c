/**
 * Who may call what (CONTRACT.md, "Roles and tokens"). Each route names the roles it takes in its own definition,
 * so the contract's table reads off the route list, and `/v1/openapi.json` publishes the same roles.
 */

/** The role of a named bearer token: `admin` every route, `platform` its two reads, `viewer` the admin reads. */
export type TokenRole = 'admin' | 'platform' | 'viewer';

/** Every role, in the order the OpenAPI document and the README list them. */
export const TOKEN_ROLES: readonly TokenRole[] = ['admin', 'platform', 'viewer'];

/** One configured bearer token. Its `name` is the `actor` of what it does in the audit trail. */
export interface BearerToken {
  name: string;
  role: TokenRole;
  token: string;
}

/** Who called a token route: the token's name and role (never the token itself). */
export interface Actor {
  name: string;
  role: TokenRole;
}

/**
 * How a route is reached: `public` (health, readiness, the OpenAPI document), `hook` (signed by the platform,
 * checked on the raw body before any route runs), or a bearer token of one of `roles` (which always include
 * `admin`, which reaches every route).
 */
export type RouteAuth = 'public' | 'hook' | { roles: readonly TokenRole[] };

/** The roles a route takes, or null when it takes no bearer token at all. */
export function rolesOf(auth: RouteAuth): readonly TokenRole[] | null {
  return typeof auth === 'object' ? auth.roles : null;
}

/** A viewer sees licenses without their activation keys; the platform and admins see them. */
export function mayReadActivationKeys(actor: Actor | null): boolean {
  return actor !== null && actor.role !== 'viewer';
}
