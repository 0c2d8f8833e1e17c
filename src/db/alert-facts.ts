import type { Knex } from 'knex';
import type { RenewalFacts } from '../domain/alert-rules';
import type { OperationEvent, OperationStatus, ServiceStatus } from '../domain/lifecycle';
import { fromDbTime, fromJson } from './columns';

/** An operation as far as alerts need it. */
export interface OperationFacts {
  id: string;
  event: OperationEvent;
  serviceId: string | null;
  licenseId: string | null;
  status: OperationStatus;
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
   * The licensing server an operation talks to: its license's, the one a person's request names, else the one of its
   * service's tariff plan (as last known, or as the hook gave it).
   */
  async licensingServerOf(operationId: string, trx: Knex = this.db): Promise<string | null> {
    const op = (await trx('operations')
      .where({ id: operationId })
      .first('license_id', 'service_id', 'request', 'payload')) as
      { license_id: string | null; service_id: string | null; request: string | null; payload: string } | undefined;
    if (!op) return null;
    const request = fromJson<{ licensingServer?: string }>(op.request);
    if (request?.licensingServer) return request.licensingServer;
    const license = op.license_id
      ? await trx('licenses').where({ id: op.license_id }).first('licensing_server')
      : op.service_id
        ? await trx('licenses').where({ service_id: op.service_id }).first('licensing_server')
        : undefined;
    if (license) return (license as { licensing_server: string }).licensing_server;
    if (!op.service_id) return null;
    const service = (await trx('services').where({ id: op.service_id }).first('tariff_plan')) as
      { tariff_plan: string | null } | undefined;
    const tariffPlan = service?.tariff_plan ?? fromJson<{ tariffPlan?: string }>(op.payload)?.tariffPlan;
    if (!tariffPlan) return null;
    const plan = (await trx('tariff_plans').where({ key: tariffPlan }).first('licensing_server')) as
      { licensing_server: string } | undefined;
    return plan?.licensing_server ?? null;
  }

  async operations(ids: readonly string[], trx: Knex = this.db): Promise<OperationFacts[]> {
    if (ids.length === 0) return [];
    return ((await trx('operations').whereIn('id', ids).select(OPERATION_COLUMNS)) as OperationRow[]).map(toFacts);
  }

  /** The service's renewal operations that ended `failed`, oldest first. */
  async failedRenewals(
    serviceId: string,
    events: ReadonlySet<OperationEvent>,
    trx: Knex = this.db,
  ): Promise<OperationFacts[]> {
    const rows = (await trx('operations')
      .where({ service_id: serviceId, status: 'failed' })
      .whereIn('event', [...events])
      .orderBy('created_at')
      .select(OPERATION_COLUMNS)) as OperationRow[];
    return rows.map(toFacts);
  }

  /** Operations waiting with the given error code (e.g. `spend_limit`). */
  async waitingWith(code: string, trx: Knex = this.db): Promise<OperationFacts[]> {
    const rows = (await trx('operations')
      .where({ status: 'waiting' })
      .whereNotNull('error')
      .select([...OPERATION_COLUMNS, 'error'])) as Array<OperationRow & { error: string }>;
    return rows.filter((row) => fromJson<{ code?: string }>(row.error)?.code === code).map(toFacts);
  }

  /**
   * Licenses ordered since `since` for a service (an `open`, a `provide` …, not a `pool.order`), per licensing server
   * and price list. The lifecycle orders for a service only when the pool had no eligible license, so each is an
   * order the pool could have spared. Trials are never served from the pool and are left out.
   */
  async ordersWhilePoolEmpty(since: Date, trx: Knex = this.db): Promise<OrdersWhilePoolEmpty[]> {
    const rows: Array<Record<string, unknown>> = await trx('licenses as l')
      .join('upstream_actions as a', 'a.reference', 'l.order_reference')
      .join('operations as o', 'o.id', 'a.operation_id')
      .where('l.source', 'order')
      .where('l.created_at', '>=', since.toISOString())
      .whereNot('o.event', 'pool.order')
      .where((q) => q.whereNull('l.period').orWhereNot('l.period', 'trial'))
      .groupBy('l.licensing_server', 'l.price_list')
      .select('l.licensing_server', 'l.price_list')
      .count({ n: '*' });
    return rows.map((r) => ({
      licensingServer: String(r.licensing_server),
      priceList: String(r.price_list),
      count: Number(r.n),
    }));
  }
}

type OperationRow = {
  id: string;
  event: OperationEvent;
  service_id: string | null;
  license_id: string | null;
  status: OperationStatus;
  updated_at: string;
};
const OPERATION_COLUMNS = ['id', 'event', 'service_id', 'license_id', 'status', 'updated_at'];

function toFacts(row: OperationRow): OperationFacts {
  return {
    id: row.id,
    event: row.event,
    serviceId: row.service_id,
    licenseId: row.license_id ?? null,
    status: row.status,
    updatedAt: new Date(row.updated_at),
  };
}
