import type { Request, RequestHandler, Response } from 'express';
import { setTimeout as delay } from 'node:timers/promises';
import type { ApiParams, ApiResult } from './api';
import { loggableParams } from './call-log';
import type { SandboxCore } from './core';
import type { FaultSpec, SandboxCall } from './types';
import { errorDoc } from './xml';

/** Faults after which the call has really been performed. */
const PERFORMING_FAULTS: ReadonlySet<FaultSpec['kind']> = new Set(['latency', 'performThenDrop', 'truncate']);
const XML_TYPE = 'text/xml; charset=utf-8';

/**
 * The express handler of the licensing API endpoint: takes the armed fault (if any), performs the call unless the
 * fault forbids it, logs it, waits the latency, then replies the way the fault says.
 */
export function apiHandler(core: SandboxCore, closing: AbortSignal): RequestHandler {
  return async (req: Request, res: Response) => {
    const params = requestParams(req);
    const func = params.func ?? '';
    const at = core.clock.now().toISOString();
    const fault = core.faults.take(func);
    const performed = !fault || PERFORMING_FAULTS.has(fault.kind);
    const result = performed ? core.api.handle(params) : undefined;
    core.log.record(callEntry({ at, func, params, fault, result, performed }));
    await sleep(core.latencyMs + (fault?.kind === 'latency' ? fault.ms : 0), closing);
    if (res.destroyed || res.writableEnded || req.socket.destroyed) return;
    reply(res, fault, result);
  };
}

/** Query and form body merged (the body wins); a repeated parameter counts by its last value. */
export function requestParams(req: Request): ApiParams {
  const params: ApiParams = {};
  for (const source of [req.query, req.body as unknown]) {
    if (typeof source !== 'object' || source === null) continue;
    for (const [name, value] of Object.entries(source)) {
      const last: unknown = Array.isArray(value) ? value[value.length - 1] : value;
      if (typeof last === 'string') params[name] = last;
    }
  }
  return params;
}

function reply(res: Response, fault: FaultSpec | undefined, result: ApiResult | undefined): void {
  switch (fault?.kind) {
    case 'http':
      res.status(fault.status).type('text/plain').send(`Sandbox fault: HTTP ${fault.status}\n`);
      return;
    case 'error':
      res.type(XML_TYPE).send(errorDoc(fault.type, fault.object ?? '', fault.message ?? 'Sandbox fault'));
      return;
    case 'drop':
    case 'performThenDrop':
      res.socket?.destroy();
      return;
    case 'garbage':
      res.type('text/plain').send('Service temporarily unavailable, please try again later\n');
      return;
    case 'truncate':
      res.type(XML_TYPE).send(truncated(result!.xml));
      return;
    default:
      res.type(XML_TYPE).send(result!.xml);
  }
}

/** The first half of a document: well-formed HTTP, cut-off XML. */
function truncated(xml: string): string {
  return xml.slice(0, Math.max(1, Math.floor(xml.length / 2)));
}

interface CallFacts {
  at: string;
  func: string;
  params: ApiParams;
  fault: FaultSpec | undefined;
  result: ApiResult | undefined;
  performed: boolean;
}

function callEntry({ at, func, params, fault, result, performed }: CallFacts): SandboxCall {
  const faulted = fault !== undefined && fault.kind !== 'latency';
  const entry: SandboxCall = {
    at,
    func,
    params: loggableParams(params),
    outcome: faulted ? 'fault' : result!.outcome,
    errorType: fault?.kind === 'error' ? fault.type : result?.errorType,
    licenseId: result?.licenseId ?? (params.elid || undefined),
    account: result?.account,
    fault: fault?.kind,
    // A call answered with an error document changed nothing.
    performed: performed && result?.outcome !== 'error',
  };
  return withoutUndefined(entry);
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return;
  try {
    await delay(ms, undefined, { signal });
  } catch {
    // aborted because the sandbox is closing: reply at once (or not at all, if the socket is gone)
  }
}
