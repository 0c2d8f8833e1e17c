import express, { type ErrorRequestHandler, type Router } from 'express';
import { z } from 'zod';
import { InvalidOutsideChangeError, UnknownSandboxLicenseError } from './back-office';
import type { SandboxCore } from './core';

const clockBody = z.union([
  z.object({ advanceMs: z.number().finite() }).strict(),
  z.object({ set: z.iso.datetime({ offset: true }) }).strict(),
]);
const latencyBody = z.object({ ms: z.number().finite().nonnegative() });
const processingBody = z.object({ ms: z.number().finite().nonnegative() });
const balanceBody = z.object({ username: z.string().min(1).optional(), amount: z.number().finite() });
const outsideStatus = z.enum(['active', 'suspended']);
const licenseChangesBody = z.strictObject({
  expiredate: z.string().optional(),
  ip: z.string().optional(),
  licname: z.string().optional(),
  pricelist: z.string().optional(),
  status: outsideStatus.optional(),
});
const newLicenseBody = licenseChangesBody.extend({
  username: z.string().min(1).optional(),
  pricelist: z.string(),
  period: z.union([z.string(), z.number().int()]).transform(String).optional(),
  remoteid: z.string().optional(),
});

/** A request the control API refuses, answered as `{"error":{code,message}}`. */
class ControlApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The HTTP control API under `/_sandbox/`, for demos and for tests whose workers run in other processes.
 * JSON in and out; every route answers 200 with a JSON body, or 4xx with `{"error":{code,message}}`.
 */
export function controlApiRouter(core: SandboxCore): Router {
  const router = express.Router();
  router.use(express.json());
  router.get('/state', (_req, res) => void res.json(core.state()));
  router.get('/calls', (_req, res) => void res.json(core.log.list()));
  router.post('/faults', (req, res) => {
    const fault = parse(() => core.faults.arm(req.body), 'invalid_fault');
    res.json({ armed: fault });
  });
  router.delete('/faults', (_req, res) => {
    core.faults.clear();
    res.json({ ok: true });
  });
  router.post('/clock', (req, res) => {
    const body = parse(() => clockBody.parse(req.body), 'invalid_clock');
    if ('advanceMs' in body) core.clock.advance(body.advanceMs);
    else core.clock.set(new Date(body.set));
    res.json({ clock: core.clock.now().toISOString() });
  });
  router.put('/latency', (req, res) => {
    const { ms } = parse(() => latencyBody.parse(req.body), 'invalid_latency');
    core.setLatency(ms);
    res.json({ latencyMs: core.latencyMs });
  });
  router.put('/processing', (req, res) => {
    const { ms } = parse(() => processingBody.parse(req.body), 'invalid_processing');
    core.ledger.setOrderProcessing(ms);
    res.json({ orderProcessingMs: ms });
  });
  router.put('/balance', (req, res) => {
    const { username = core.accounts.defaultUsername, amount } = parse(
      () => balanceBody.parse(req.body),
      'invalid_balance',
    );
    if (!(username in core.accounts.balances())) throw new ControlApiError(404, 'unknown_account', 'No such account');
    core.accounts.setBalance(amount, username);
    res.json({ username, balance: core.accounts.balance(username) });
  });
  // Behind the service's back: none of these is an API call, so none shows in the call log.
  router.post('/licenses', (req, res) => {
    const spec = parse(() => newLicenseBody.parse(req.body), 'invalid_license');
    res.json({ license: backOffice(() => core.backOffice.create(spec)) });
  });
  router.patch('/licenses/:id', (req, res) => {
    const changes = parse(() => licenseChangesBody.parse(req.body), 'invalid_license');
    res.json({ license: backOffice(() => core.backOffice.edit(req.params.id, changes)) });
  });
  router.delete('/licenses/:id', (req, res) => {
    res.json({ license: backOffice(() => core.backOffice.delete(req.params.id)) });
  });
  router.post('/reset', (_req, res) => {
    core.reset();
    res.json({ ok: true });
  });
  router.use((_req, res) => void res.status(404).json({ error: { code: 'not_found', message: 'No such route' } }));
  router.use(controlErrorHandler);
  return router;
}

function parse<T>(read: () => T, code: string): T {
  try {
    return read();
  } catch (error) {
    const message = error instanceof z.ZodError ? z.prettifyError(error) : String(error);
    throw new ControlApiError(400, code, message);
  }
}

function backOffice<T>(change: () => T): T {
  try {
    return change();
  } catch (error) {
    if (error instanceof UnknownSandboxLicenseError) throw new ControlApiError(404, 'unknown_license', error.message);
    if (error instanceof InvalidOutsideChangeError) throw new ControlApiError(400, 'invalid_license', error.message);
    throw error;
  }
}

const controlErrorHandler: ErrorRequestHandler = (error: unknown, _req, res, _next) => {
  if (error instanceof ControlApiError) {
    res.status(error.status).json({ error: { code: error.code, message: error.message } });
    return;
  }
  const status = (error as { status?: unknown }).status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    res.status(status).json({ error: { code: 'bad_request', message: (error as Error).message } });
    return;
  }
  console.error('sandbox control API error', error);
  res.status(500).json({ error: { code: 'internal', message: 'Internal sandbox error' } });
};
