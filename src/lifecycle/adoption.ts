import crypto from 'node:crypto';
import { ADOPT_EVENT, type AdoptRequest } from '../domain/adoption';
import { UpstreamNotFoundError } from '../domain/upstream-errors';
import type { OperationRecord } from '../db/operation-store';
import type { LicensingServerStore } from '../db/licensing-server-store';
import { ConflictError, NotFoundError, RuleViolationError } from '../errors';
import type { Checkpointer } from './checkpointer';
import type { HandlerOutcome } from './event-handlers';
import type { LifecycleDeps } from './lifecycle-deps';

/**
 * A `license.adopt` operation: reads the license upstream (the list's word is not enough: it carries no key) and
 * records it as a pooled license of ours (`source` `adopted`, audited `license.adopted`). It pays for nothing and
 * changes nothing upstream. Fails for a person with `not_live` (deleted upstream), `unknown_price_list` (no
 * enumeration value of this licensing server's tariff plans names its price list: it could never serve an open), or
 * `already_known` (we hold it under another id by now).
 */
export async function adoptLicense(
  deps: LifecycleDeps,
  op: OperationRecord,
  checkpoints: Checkpointer,
): Promise<HandlerOutcome> {
  const request = op.request as AdoptRequest | null;
  if (request?.kind !== 'adopt') throw new RuleViolationError('a license.adopt operation without its request');
  const done = (paidUntil: Date | null): HandlerOutcome => ({
    result: {
      licenseId: request.licenseId,
      upstreamId: request.upstreamId,
      source: 'none',
      paidUntil: paidUntil?.toISOString() ?? null,
    },
    servicePatch: {},
    bindLicenseId: null,
  });
  const known = await deps.licenses.findByUpstream(request.licensingServer, request.upstreamId);
  // Adopted by an earlier attempt of this operation whose outcome was not recorded: done.
  if (known?.id === request.licenseId) return done(known.paidUntil);
  if (known)
    throw new ConflictError(`the service already holds ${request.upstreamId} as ${known.id}`, null, 'already_known');
  const module = await deps.modules.forServer(request.licensingServer);
  const license = await module.get({ upstreamId: request.upstreamId }).catch((error: unknown) => {
    if (error instanceof UpstreamNotFoundError) return null;
    throw error;
  });
  if (!license || license.status === 'deleted')
    throw new RuleViolationError(`license ${request.upstreamId} is not live upstream`, null, 'not_live');
  if (!(await deps.drift.isPriceListInUse(request.licensingServer, license.priceList)))
    throw new RuleViolationError(
      `no enumeration value of ${request.licensingServer}'s tariff plans uses price list ${license.priceList}`,
      { priceList: license.priceList },
      'unknown_price_list',
    );
  await checkpoints.write((trx) =>
    deps.licenses.adopted(
      {
        id: request.licenseId,
        licensingServer: request.licensingServer,
        upstreamId: request.upstreamId,
        priceList: license.priceList,
        period: null,
        status: license.status,
        paidUntil: license.paidUntil,
        ip: license.ip,
        name: license.name,
        activationKey: license.activationKey,
      },
      { actor: 'worker', at: deps.now(), operationId: op.id },
      trx,
    ),
  );
  return done(license.paidUntil);
}

/**
 * `POST /v1/admin/licenses/adopt`: one `license.adopt` operation (no service) per upstream id, all in one
 * transaction; `all` takes every `unknown_upstream` item of the server. An id the service already holds is a 409
 * `already_known` at once, and nothing is queued.
 */
export async function queueAdoptions(
  deps: Pick<LifecycleDeps, 'db' | 'licenses' | 'operations' | 'drift' | 'now'> & {
    licensingServers: Pick<LicensingServerStore, 'get'>;
  },
  ask: { licensingServer: string; upstreamIds?: readonly string[]; all?: boolean },
): Promise<OperationRecord[]> {
  if (!(await deps.licensingServers.get(ask.licensingServer)))
    throw new NotFoundError(`no licensing server ${ask.licensingServer}`);
  const upstreamIds = [
    ...new Set(ask.all ? await deps.drift.unknownUpstreamIds(ask.licensingServer) : (ask.upstreamIds ?? [])),
  ];
  return deps.db.transaction(async (trx) => {
    const known: Array<{ upstreamId: string; licenseId: string }> = [];
    for (const upstreamId of upstreamIds) {
      const held = await deps.licenses.findByUpstream(ask.licensingServer, upstreamId, trx);
      if (held) known.push({ upstreamId, licenseId: held.id });
    }
    if (known.length)
      throw new ConflictError('the service already holds some of these licenses', { known }, 'already_known');
    const now = deps.now();
    const operations: OperationRecord[] = [];
    for (const upstreamId of upstreamIds) {
      const request: AdoptRequest = {
        kind: 'adopt',
        licensingServer: ask.licensingServer,
        upstreamId,
        licenseId: crypto.randomUUID(),
      };
      operations.push(
        await deps.operations.create(
          {
            id: crypto.randomUUID(),
            event: ADOPT_EVENT,
            serviceId: null,
            sequence: 0,
            payload: { id: request.licenseId },
            licenseId: request.licenseId,
            request,
          },
          now,
          trx,
        ),
      );
    }
    return operations;
  });
}
