import { setMaxListeners } from 'node:events';
import express from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { apiHandler } from './api-route';
import { controlApiRouter } from './control-api';
import { SandboxCore } from './core';
import type { SandboxHandle, SandboxOptions } from './types';

export type * from './types';

/** The path of the licensing API endpoint. */
export const API_PATH = '/billmgr';
/** The path under which the control API lives. */
export const CONTROL_PATH = '/_sandbox';

/**
 * Starts a sandbox BILLmanager-style licensing server in this process (on 127.0.0.1 and a free port unless told
 * otherwise) and resolves once it listens.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<SandboxHandle> {
  const core = new SandboxCore(options);
  const closing = new AbortController();
  // Every call in flight waits on this one signal; many at once are normal, not a leak.
  setMaxListeners(0, closing.signal);
  const app = buildApp(core, closing.signal, options.controlApi ?? true);
  const host = options.host ?? '127.0.0.1';
  const server = await listen(app, options.port ?? 0, host);
  const url = `http://${urlHost(host)}:${(server.address() as AddressInfo).port}`;
  const username = core.accounts.defaultUsername;
  let stopped: Promise<void> | undefined;
  return {
    url,
    apiUrl: `${url}${API_PATH}`,
    username,
    password: core.accounts.passwordOf(username),
    clock: {
      now: () => core.clock.now(),
      advance: (ms) => core.clock.advance(ms),
      set: (at) => core.clock.set(at),
    },
    armFault: (fault) => void core.faults.arm(fault),
    clearFaults: () => core.faults.clear(),
    setLatency: (ms) => core.setLatency(ms),
    setOrderProcessing: (ms) => core.ledger.setOrderProcessing(ms),
    calls: () => core.log.list(),
    licenses: () => core.ledger.snapshots(),
    createLicense: (spec) => core.backOffice.create(spec),
    editLicense: (id, changes) => core.backOffice.edit(id, changes),
    deleteLicense: (id) => core.backOffice.delete(id),
    balance: (name) => core.accounts.balance(name),
    setBalance: (amount, name) => core.accounts.setBalance(amount, name),
    reset: () => core.reset(),
    close: () => (stopped ??= stop(server, closing)),
  };
}

function buildApp(core: SandboxCore, closing: AbortSignal, withControlApi: boolean): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  const handler = apiHandler(core, closing);
  app.get(API_PATH, handler);
  app.post(API_PATH, express.urlencoded({ extended: false }), handler);
  if (withControlApi) app.use(CONTROL_PATH, controlApiRouter(core));
  app.use(quietErrors);
  return app;
}

/** A client that hung up mid-request (as fault tests make them) is not worth a stack trace. */
const quietErrors: express.ErrorRequestHandler = (error, _req, res, _next) => {
  if ((error as { type?: string }).type === 'request.aborted') return;
  res
    .status((error as { status?: number }).status ?? 500)
    .type('text/plain')
    .send('sandbox error');
};

function listen(app: express.Express, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (error?: Error) => (error ? reject(error) : resolve(server)));
  });
}

async function stop(server: Server, closing: AbortController): Promise<void> {
  closing.abort();
  const closed = new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  server.closeAllConnections();
  await closed;
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
