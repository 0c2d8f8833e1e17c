import { z } from 'zod';
import { rolesOf, type RouteAuth } from './access';
import type { AnyRouteSpec } from './route-registry';

/** OpenAPI 3.1 lets a bearer scheme's requirement list role names: each route lists the roles it takes. */
function securityOf(auth: RouteAuth): object[] {
  if (auth === 'hook') return [{ hookSignature: [] }];
  const roles = rolesOf(auth);
  return roles ? [{ bearerToken: [...roles] }] : [];
}

const tokenErrorResponses: AnyRouteSpec['responses'] = {
  401: { description: 'no bearer token, or an unknown one (`unauthorized`)' },
  403: { description: "the token's role does not reach this route (`forbidden`)" },
};

/** Builds the OpenAPI 3.1 document from the same route specs and schemas that validate requests. */
export function buildOpenApiDocument(routes: readonly AnyRouteSpec[], info: { version: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = route.path.replace(/:(\w+)/g, '{$1}');
    paths[path] ??= {};
    paths[path][route.method] = {
      summary: route.summary,
      tags: [route.tag],
      security: securityOf(route.auth),
      parameters: [...parametersOf(route.params, 'path'), ...parametersOf(route.query, 'query')],
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: jsonSchema(route.body, 'input') } },
            },
          }
        : {}),
      responses: Object.fromEntries(
        Object.entries({ ...(rolesOf(route.auth) ? tokenErrorResponses : {}), ...route.responses }).map(
          ([status, response]) => [
            status,
            {
              description: response.description,
              ...(response.schema
                ? { content: { 'application/json': { schema: jsonSchema(response.schema, 'output') } } }
                : {}),
              ...(response.mediaType ? { content: { [response.mediaType]: { schema: { type: 'string' } } } } : {}),
            },
          ],
        ),
      ),
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Control-panel license module',
      version: info.version,
      description: 'Gives each VPS a control-panel license from a BILLmanager-style licensing server.',
    },
    paths,
    components: {
      securitySchemes: {
        bearerToken: {
          type: 'http',
          scheme: 'bearer',
          description:
            'A named token of `auth.tokens` (or ADMIN_TOKEN, PLATFORM_TOKEN, VIEWER_TOKEN) with the role `admin`, ' +
            '`platform` or `viewer`; each operation lists the roles it takes. A viewer sees activation keys as null.',
        },
        hookSignature: {
          type: 'apiKey',
          in: 'header',
          name: 'X-Signature',
          description: 't=<unix seconds>,v1=<hex HMAC-SHA256(hooks.secret, "<t>." + raw body)>',
        },
      },
    },
  };
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): object {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
    reused: 'inline',
  }) as Record<string, unknown>;
  return rest;
}

function parametersOf(schema: z.ZodType | undefined, where: 'path' | 'query'): object[] {
  if (!schema) return [];
  const json = jsonSchema(schema, 'input') as { properties?: Record<string, object>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    schema: property,
  }));
}
