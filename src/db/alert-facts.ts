import type { Knex } from 'knex';
import type { RenewalFacts } from '../domain/alert-rules';
import type { OperationError, OperationEvent, OperationStatus, ServiceStatus } from '../domain/lifecycle';
import { fromDbTime, fromJson } from './columns';

/** An operation as far as alerts need it. */
export interface OperationFacts {
  id: string;
  event: OperationEvent;
  serviceId: string | null;
  licenseId: string | null;
  status: OperationStatus;
  /** Why its last attempt did not succeed, if it did not. */
  error: OperationError | null;
  updatedAt: Date;
}

/** A price list whose pool was empty when licenses were ordered for services. */
export interface OrdersWhilePoolEmpty {
  licensingServer: string;
  priceList: string;
  count: number;
}

/**
 * The reads the alert book and its sweep judge by, across services, licenses, operations and the catalog (the
 * alerts themselves are `alert-store.ts`). Every read takes the transaction it may run in: on SQLite a read
 * outside an open transaction would wait for the only connection.
 */
export class KnexAlertFacts {
  constructor(private readonly db: Knex) {}

  /** The service's status and paid-until, and the paid-until of `licenseId` while the service still holds it. */
  async renewalFacts(serviceId: string, licenseId: string, trx: Knex = this.db): Promise<RenewalFacts> {
    const service = (await trx('services').where({ id: serviceId }).first('status', 'paid_until')) as
      { status: ServiceStatus; paid_until: string | null } | undefined;
    const license = (await trx('licenses')
      .where({ id: licenseId, service_id: serviceId, state: 'bound' })
      .first('paid_until')) as { paid_until: string | null } | undefined;
    return {
      serviceStatus: service?.status ?? null,
      servicePaidUntil: fromDbTime(service?.paid_until),
      licensePaidUntil: license ? fromDbTime(license.paid_until) : null,
    };
  }

  /** The license the service holds (bound or reserved by its operation), if any. */
  async licenseOfService(serviceId: string, trx: Knex = this.db): Promise<string | null> {
    const row = (await trx('licenses').where({ service_id: serviceId }).first('id')) as { id: string } | undefined;
    return row?.id ?? null;
  }

  /**
   * The licensing server an operation talks to: the one a person's request names, its license's (or, without one,
   * the license its service holds), else the one of its service's tariff plan (as last known, or as the hook gave it).
   */
  async licensingServerOf(operationId: string, trx: Knex = this.db): Promise<string | null> {
    const [op] = await this.withLicensingServers((query) => query.where('o.id', operationId), trx);
    return op?.licensingServer ?? null;
  }

  /** The licensing servers on which operations wait with the error `code` (e.g. `spend_limit`). */
  async serversWaitingWith(code: string, trx: Knex = this.db): Promise<Set<string>> {
    // `error` is the JSON of {code, message}: a quoted `"code":"…"` cannot occur inside the message (quotes are
    // escaped there), so the match is exact; `%` and `_` of the code are escaped for LIKE.
    const pattern = `%"code":${JSON.stringify(code).replace(/[%_\\]/g, (c) => `\\${c}`)}%`;
    const ops = await this.withLicensingServers(
      (query) => query.where('o.status', 'waiting').whereRaw("o.error LIKE ? ESCAPE '\\'", [pattern]),
      trx,
    );
    return new Set(ops.flatMap((op) => (op.licensingServer ? [op.licensingServer] : [])));
  }

  /**
   * The operations `filter` picks, each with its licensing server (see `licensingServerOf`): one query joining
   * their licenses, services and plans, plus one for the plans only their hooks named.
   */
  private async withLicensingServers(
    filter: (query: Knex.QueryBuilder) => void,
    trx: Knex,
  ): Promise<Array<{ id: string; licensingServer: string | null }>> {
    const query = trx('operations as o')
      .leftJoin('licenses as own', 'own.id', 'o.license_id')
      .leftJoin('licenses as held', 'held.service_id', 'o.service_id')
      .leftJoin('services as s', 's.id', 'o.service_id')
      .leftJoin('tariff_plans as plan', 'plan.key', 's.tariff_plan')
      .select(
        'o.id',
        'o.license_id',
        'o.service_id',
        'o.request',
        'o.payload',
        's.tariff_plan',
        'own.licensing_server as own_server',
        'held.licensing_server as held_server',
        'plan.licensing_server as plan_server',
      );
    filter(query);
    const rows = (await query) as ServerRow[];
    const byId = new Map<string, { server: string | null; hookPlan: string | null }>();
    for (const row of rows) {
      if (byId.has(row.id)) continue; // a service holding two licenses (one reserved) gives two rows
      const request = fromJson<{ licensingServer?: string }>(row.request);
      const license = row.license_id ? row.own_server : row.held_server;
      const server = request?.licensingServer ?? license ?? (row.tariff_plan ? row.plan_server : null);
      const hookPlan =
        server || !row.service_id || row.tariff_plan
          ? null
          : (fromJson<{ tariffPlan?: string }>(row.payload)?.tariffPlan ?? null);
      byId.set(row.id, { server, hookPlan });
    }
    const hookPlans = [...new Set([...byId.values()].flatMap((op) => (op.hookPlan ? [op.hookPlan] : [])))];
    const planServers = new Map<string, string>();
    if (hookPlans.length > 0)
      for (const plan of (await trx('tariff_plans')
        .whereIn('key', hookPlans)
        .select('key', 'licensing_server')) as Array<{ key: string; licensing_server: string }>)
        planServers.set(plan.key, plan.licensing_server);
    return [...byId].map(([id, op]) => ({
      id,
      licensingServer: op.server ?? (op.hookPlan ? (planServers.get(op.hookPlan) ?? null) : null),
    }));
  }

  async operations(ids: readonly string[], trx: Knex = this.db): Promise<OperationFacts[]> {
    if (ids.length === 0) return [];
    return ((await trx('operations').whereIn('id', ids).select(OPERATION_COLUMNS)) as OperationRow[]).map(toFacts);
  }

  /**
   * The renewal to retry for the service, if any: the head of its line (its oldest unsettled operation) when that is
   * a failed renewal, and no later operation of the service has succeeded since (a stale `prolong` run after a newer
   * renewal succeeded could set the paid-until back). Later operations cannot run before the head anyway.
   */
  async failedRenewalAtHead(
    serviceId: string,
    events: ReadonlySet<OperationEvent>,
    trx: Knex = this.db,
  ): Promise<OperationFacts | null> {
    const head = (await trx('operations')
      .where({ service_id: serviceId })
      .whereNot({ status: 'succeeded' })
      .orderBy('sequence')
      .first([...OPERATION_COLUMNS, 'sequence'])) as (OperationRow & { sequence: number | string }) | undefined;
    if (!head || head.status !== 'failed' || !events.has(head.event)) return null;
    const newerSuccess = await trx('operations')
      .where({ service_id: serviceId, status: 'succeeded' })
      .where('sequence', '>', Number(head.sequence))
      .first('id');
    return newerSuccess ? null : toFacts(head);
  }

  /**
   * Licenses ordered since `since` for a service (an `open`, a `provide` …, not a `pool.order`), per licensing server
   * and price list. The lifecycle orders for a service only when the pool had no eligible license, so each is an
   * order the pool could have spared. Trials are never served from the pool and are left out.
   */
  async ordersWhilePoolEmpty(since: Date, trx: Knex = this.db): Promise<OrdersWhilePoolEmpty[]> {
    // The orders' cost rows (written by the order moves, indexed by `at`): a pool order has no service.
    const rows: Array<Record<string, unknown>> = await trx('license_costs')
      .where({ kind: 'order' })
      .whereNotNull('service_id')
      .whereNot('period', 'trial')
      .where('at', '>=', since.toISOString())
      .groupBy('licensing_server', 'price_list')
      .select('licensing_server', 'price_list')
      .count({ n: '*' });
    return rows.map((r) => ({
      licensingServer: String(r.licensing_server),
      priceList: String(r.price_list),
      count: Number(r.n),
    }));
  }
}

type ServerRow = {
  id: string;
  license_id: string | null;
  service_id: string | null;
  request: string | null;
  payload: string;
  tariff_plan: string | null;
  own_server: string | null;
  held_server: string | null;
  plan_server: string | null;
};

type OperationRow = {
  id: string;
  event: OperationEvent;
  service_id: string | null;
  license_id: string | null;
  status: OperationStatus;
  error: string | null;
  updated_at: string;
};
const OPERATION_COLUMNS = ['id', 'event', 'service_id', 'license_id', 'status', 'error', 'updated_at'];

function toFacts(row: OperationRow): OperationFacts {
  return {
    id: row.id,
    event: row.event,
    serviceId: row.service_id,
    licenseId: row.license_id ?? null,
    status: row.status,
    error: fromJson<OperationError>(row.error),
    updatedAt: new Date(row.updated_at),
  };
}
