import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import express from 'express';
import { Redis } from 'ioredis';
import type { Knex } from 'knex';
import { createDatabase, migrateToLatest } from '../src/db/database';
import { verifySignature } from '../src/platform/signature';
import type { BenchServiceSpec } from './support-service';

/**
 * The limit a durable intake can reach on this machine: express, the same HMAC check as the service, one
 * transaction that inserts the same two rows (the operation and the hook event), then one BullMQ `add`. No replay
 * look-up, no validation, no sequence number (every hook names a new service): what is left is the floor that
 * "a 202 means on disk" costs, so the service's intake can be judged against it.
 */
export async function startMinimalIntake(
  spec: BenchServiceSpec,
): Promise<{ url: string; db: Knex; close(): Promise<void> }> {
  const db = createDatabase(spec.databaseUrl);
  await migrateToLatest(db);
  const connection = new Redis(spec.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  const queue = new Queue(`${spec.queueName}_minimal`, {
    connection,
    defaultJobOptions: { removeOnComplete: true, removeOnFail: 1000, attempts: 1 },
  });
  const app = express();
  app.disable('x-powered-by');
  app.use(express.raw({ type: 'application/json', limit: '1mb' }));
  app.post('/v1/hooks/:event', async (req, res) => {
    const raw = req.body as Buffer;
    const signed = verifySignature(spec.hookSecret, req.header('x-signature'), raw, 300);
    if (!signed.ok) return void res.status(401).json({ error: { code: 'bad_signature', message: signed.reason } });
    const body = JSON.parse(raw.toString('utf8')) as { eventId: string; service: { id: string } };
    const event = String(req.params.event);
    const operationId = crypto.randomUUID();
    const at = new Date().toISOString();
    await db.transaction(async (trx) => {
      await trx('operations').insert({
        id: operationId,
        event,
        service_id: body.service.id,
        sequence: 1,
        status: 'queued',
        attempts: 0,
        payload: JSON.stringify(body.service),
        created_at: at,
        updated_at: at,
      });
      const bodySha256 = crypto.createHash('sha256').update(raw).digest('hex');
      await trx('hook_events').insert({
        event_id: body.eventId,
        event,
        body_sha256: bodySha256,
        operation_id: operationId,
        received_at: at,
      });
    });
    await queue.add('operation', { operationId }, { jobId: `${operationId}.0` });
    res.status(202).json({ operationId, status: 'queued' });
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    db,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await queue.close();
      await connection.quit();
      await db.destroy();
    },
  };
}
