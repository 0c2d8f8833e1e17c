import { z } from 'zod';
import { HOOK_EVENTS } from '../../domain/lifecycle';
import { hookBodySchemas } from '../../platform/hook-schemas';
import type { OperationRecord } from '../../db/operation-store';
import type { HookIntake } from '../../lifecycle/intake';
import { defineRoute, type AnyRouteSpec } from '../route-registry';
import { errorResponseSchema } from '../response-schemas';

const acceptedSchema = z.object({
  operationId: z.string(),
  status: z.enum(['queued', 'running', 'waiting', 'succeeded', 'failed']),
});
const error = (description: string) => ({ description, schema: errorResponseSchema });

/** `POST /v1/hooks/{event}`: signed by the platform, idempotent by `eventId`, durable before the answer. */
export function hookRoutes(intake: HookIntake, onAccepted: (operation: OperationRecord) => void): AnyRouteSpec[] {
  return HOOK_EVENTS.map((event) =>
    defineRoute({
      method: 'post',
      path: `/v1/hooks/${event}`,
      tag: 'hooks',
      auth: 'hook',
      summary: `The platform reports "${event}" for a VPS`,
      body: hookBodySchemas[event],
      responses: {
        202: { description: 'accepted: the operation is queued', schema: acceptedSchema },
        200: { description: 'this eventId was seen before: the same operation, as it is now', schema: acceptedSchema },
        400: error('invalid input'),
        401: error('missing, malformed, wrong or stale signature'),
        409: error('this eventId came before with another body'),
        413: error('body too large'),
        415: error('not JSON'),
        422: error('unknown tariff plan or control-panel value'),
        503: error('the database does not answer'),
      },
      handler: async ({ body, req }) => {
        const { operation, replay } = await intake.accept(event, body, req.body);
        if (!replay) onAccepted(operation);
        return {
          status: replay ? 200 : 202,
          body: {
            operationId: operation.id,
            status: replay ? operation.status : 'queued',
          },
        };
      },
    }),
  );
}
