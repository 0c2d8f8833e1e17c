import { z } from 'zod';
import type { Logger } from 'pino';
import type { CatalogService } from '../../catalog/catalog-service';
import { catalogKeySchema } from '../../catalog/schemas';
import type { LicensingModuleDefinition } from '../../domain/licensing-module';
import { classifyError } from '../../error-classification';
import { defineRoute, type AnyRouteSpec } from '../route-registry';
import { connectionCheckSchema, errorResponseSchema } from '../response-schemas';

/** `POST /v1/admin/licensing-servers/{key}/check`: one real authenticated call to the licensing server. */
export function licensingServerCheckRoutes(
  catalog: CatalogService,
  findModule: (id: string) => LicensingModuleDefinition | undefined,
  logger: Logger,
): AnyRouteSpec[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/admin/licensing-servers/:key/check',
      tag: 'catalog',
      auth: { roles: ['admin'] },
      summary: 'Check the credentials with a real call to the licensing server',
      params: z.object({ key: catalogKeySchema }),
      responses: {
        200: { description: 'ok, or not ok with the reason', schema: connectionCheckSchema },
        401: { description: 'no token', schema: errorResponseSchema },
        404: { description: 'unknown licensing server', schema: errorResponseSchema },
      },
      handler: async ({ params }) => {
        await catalog.getLicensingServer(params.key); // 404 when unknown
        try {
          const connection = await catalog.connectionOf(params.key);
          const definition = findModule(connection.module);
          if (!definition) {
            return { status: 200, body: { ok: false, error: { code: 'unknown_module', message: connection.module } } };
          }
          const settings = definition.parseSettings(connection.settings);
          await definition.create({ ...connection, settings }, { logger }).checkConnection();
          return { status: 200, body: { ok: true } };
        } catch (error) {
          // A password that no longer decrypts (the encryption key changed) is a failed check too, not a 500. What
          // the taxonomy does not name is told by code only: its message may carry SQL text.
          const verdict = classifyError(error);
          const code = verdict.anticipated ? verdict.code : 'check_failed';
          const message = verdict.anticipated ? verdict.message : 'the check failed; the log has the details';
          logger.warn(
            { licensingServer: params.key, code, err: verdict.anticipated ? undefined : error },
            'licensing server check failed',
          );
          return { status: 200, body: { ok: false, error: { code, message } } };
        }
      },
      audit: ({ params }, result) => {
        const outcome = result.body as { ok: boolean; error?: { code: string } };
        return {
          action: 'admin.licensing_server.check',
          subjectType: 'licensing_server',
          subjectId: params.key,
          details: { ok: outcome.ok, ...(outcome.error ? { code: outcome.error.code } : {}) },
        };
      },
    }),
  ];
}
