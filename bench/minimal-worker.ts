import crypto from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Knex } from 'knex';
import { billmanagerModule } from '../modules/billmanager';
import { activationKeyLocation } from '../src/db/license-store';
import type { LicensingServerModule } from '../src/domain/licensing-module';
import { SecretBox } from '../src/security/secret-box';
import { countSql, type SqlCounts } from './sql-counter';
import { deleteQueueKeys, openFacts, uniqueName } from './support';
import { SANDBOX_PASSWORD, SANDBOX_USER } from './support-service';

/**
 * The limit a worker can reach on this machine: a bare BullMQ worker that makes the same two upstream calls as an
 * `open` served by an order (order, then read for the key) against the same sandbox through the same module, and
 * commits the same rows (service, license, the operation's outcome, one audit row) in one transaction. No lease, no
 * checkpoint before the paid call, no recovery: it would order twice after a crash, which is exactly the price the
 * service's money rules are measured against.
 */
export async function drainMinimalWorker(options: {
  db: Knex;
  redisUrl: string;
  sandboxApiUrl: string;
  operations: number;
  concurrency: number;
  timeoutMs: number;
}): Promise<{ perSecond: number; perOperation: SqlCounts }> {
  const { db, operations: n, concurrency } = options;
  const box = new SecretBox(crypto.randomBytes(32));
  const module = billmanagerModule.create(
    {
      url: options.sandboxApiUrl,
      username: SANDBOX_USER,
      password: SANDBOX_PASSWORD,
      settings: billmanagerModule.parseSettings({ timeoutMs: 15_000, periodCodes: { lifetime: -100, trial: -50 } }),
    },
    { logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined } },
  );
  const ids = await insertQueuedOperations(db, n);
  const name = uniqueName('minimal');
  const producer = new Redis(options.redisUrl, { maxRetriesPerRequest: 1 });
  const consumer = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(name, { connection: producer, defaultJobOptions: { removeOnComplete: true, attempts: 1 } });
  const finishes: number[] = [];
  let worker: Worker | undefined;
  const sql = countSql(db);
  try {
    await queue.addBulk(ids.map((id, i) => ({ name: 'operation', data: { id, i }, opts: { jobId: `${id}.0` } })));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('minimal worker did not drain in time')), options.timeoutMs);
      const run = (data: { id: string; i: number }) => openByOrder(db, module, box, data.id, data.i);
      worker = new Worker(name, (job) => run(job.data as { id: string; i: number }), {
        connection: consumer,
        concurrency,
      });
      worker.on('failed', (_job, error) => reject(error));
      worker.on('completed', () => {
        finishes.push(performance.now());
        if (finishes.length === n) resolve(clearTimeout(timer));
      });
    });
    const counts = sql.read();
    const per = (value: number) => value / n;
    return {
      perSecond: (n - 1) / ((finishes[n - 1]! - finishes[0]!) / 1000),
      perOperation: {
        statements: per(counts.statements),
        roundTrips: per(counts.roundTrips),
        commits: per(counts.commits),
        transactions: per(counts.transactions),
      },
    };
  } finally {
    sql.stop();
    await worker?.close();
    await queue.close();
    await Promise.all([producer.quit(), consumer.quit()]);
    await deleteQueueKeys(options.redisUrl, name);
  }
}

/** Operations as intake leaves them (queued), inserted before the clock starts. */
async function insertQueuedOperations(db: Knex, n: number): Promise<string[]> {
  const at = new Date().toISOString();
  const rows = Array.from({ length: n }, (_, i) => ({
    id: crypto.randomUUID(),
    event: 'open',
    service_id: `vps-min-${i}`,
    sequence: 1,
    status: 'queued',
    attempts: 0,
    payload: JSON.stringify(openFacts(`vps-min-${i}`, i)),
    created_at: at,
    updated_at: at,
  }));
  for (let first = 0; first < n; first += 200) await db('operations').insert(rows.slice(first, first + 200));
  return rows.map((row) => row.id);
}

async function openByOrder(db: Knex, module: LicensingServerModule, box: SecretBox, operationId: string, i: number) {
  const facts = openFacts(`vps-min-${i}`, i) as { id: string; name: string; ip: string; paidUntil: string };
  const reference = `${operationId}.order.0`;
  const { upstreamId } = await module.order({
    priceList: '3541',
    period: 12,
    ip: facts.ip,
    name: facts.name,
    reference,
  });
  const upstream = await module.get({ upstreamId });
  const at = new Date().toISOString();
  const licenseId = crypto.randomUUID();
  await db.transaction(async (trx) => {
    await trx('services').insert({
      id: facts.id,
      name: facts.name,
      ip: facts.ip,
      tariff_plan: 'vps-monthly',
      period: 1,
      paid_until: facts.paidUntil,
      control_panel: 'isp-lite',
      status: 'active',
      last_sequence: 1,
      created_at: at,
      updated_at: at,
    });
    await trx('licenses').insert({
      id: licenseId,
      licensing_server: 'isp',
      upstream_id: upstreamId,
      price_list: '3541',
      ip: upstream.ip,
      name: upstream.name,
      status: upstream.status,
      paid_until: upstream.paidUntil?.toISOString() ?? null,
      activation_key_encrypted: upstream.activationKey
        ? box.encrypt(upstream.activationKey, activationKeyLocation(licenseId))
        : null,
      state: 'bound',
      service_id: facts.id,
      operation_id: operationId,
      order_reference: reference,
      period: 12,
      source: 'order',
      created_at: at,
      updated_at: at,
    });
    await trx('operations')
      .where({ id: operationId })
      .update({ status: 'succeeded', license_id: licenseId, attempts: 1, updated_at: at, finished_at: at });
    await trx('audit_log').insert({
      at,
      actor: 'worker',
      action: 'license.ordered',
      subject_type: 'license',
      subject_id: licenseId,
      license_id: licenseId,
      service_id: facts.id,
      operation_id: operationId,
    });
  });
}
