import { parseStringPromise } from 'xml2js';
import { startSandbox } from '../../src/sandbox/server';
import type { SandboxHandle, SandboxOptions } from '../../src/sandbox/server';

/** Where the sandbox clock of these tests starts: mid-month, mid-day, so that test run time never crosses a day. */
export const START = new Date('2026-03-15T12:00:00.000Z');
export const HOUR_MS = 60 * 60 * 1000;
export const DAY_MS = 24 * HOUR_MS;

export function startTestSandbox(options: SandboxOptions = {}): Promise<SandboxHandle> {
  return startSandbox({ startTime: START, ...options });
}

/** A parsed reply: `doc` is the content of `<doc>` as xml2js gives it with `explicitArray: false`. */
export interface Reply {
  status: number;
  body: string;
  doc: Record<string, unknown>;
}

/** Parses an XML reply into the content of its `<doc>` element (an empty `<doc>` gives `{}`). */
export async function parseDoc(body: string): Promise<Record<string, unknown>> {
  const parsed = (await parseStringPromise(body, { explicitArray: false })) as { doc: unknown };
  return typeof parsed.doc === 'object' && parsed.doc !== null ? (parsed.doc as Record<string, unknown>) : {};
}

/** POSTs form parameters (with `out=xml`) and parses the XML reply. */
export async function post(url: string, params: Record<string, string>): Promise<Reply> {
  const response = await fetch(url, { method: 'POST', body: new URLSearchParams({ out: 'xml', ...params }) });
  const body = await response.text();
  return { status: response.status, body, doc: await parseDoc(body) };
}

/** GETs with query parameters (with `out=xml`) and parses the XML reply. */
export async function get(url: string, params: Record<string, string>): Promise<Reply> {
  const response = await fetch(`${url}?${new URLSearchParams({ out: 'xml', ...params })}`);
  const body = await response.text();
  return { status: response.status, body, doc: await parseDoc(body) };
}

/** The `{type, object, msg}` of an error reply, or undefined for a reply without `<error>`. */
export function errorOf(reply: Reply): { type: string; object: string; msg: string } | undefined {
  const error = reply.doc.error as { $: { type: string; object: string }; msg: string } | undefined;
  return error && { type: error.$.type, object: error.$.object, msg: error.msg };
}

/** The `<elem>`s of a list reply as an array. */
export function elemsOf(reply: Reply): Record<string, string>[] {
  const elem = reply.doc.elem as Record<string, string> | Record<string, string>[] | undefined;
  if (elem === undefined) return [];
  return Array.isArray(elem) ? elem : [elem];
}

/** Calls the API as one account, with `authinfo`. */
export class ApiClient {
  constructor(
    readonly sandbox: SandboxHandle,
    private readonly username = sandbox.username,
    private readonly password = sandbox.password,
  ) {}

  call(func: string, params: Record<string, string> = {}): Promise<Reply> {
    return post(this.sandbox.apiUrl, { authinfo: `${this.username}:${this.password}`, func, ...params });
  }

  /** Orders a license and returns its id (fails the test when the order is refused). */
  async order(params: Partial<Record<'pricelist' | 'period' | 'ip' | 'licname' | 'remoteid', string>> = {}) {
    const reply = await this.call('soft.order.param', orderParams(params));
    const id = reply.doc.id;
    if (typeof id !== 'string') throw new Error(`order refused: ${reply.body}`);
    return id;
  }

  /** Reads one license (`soft.edit` without `sok`). */
  read(elid: string): Promise<Reply> {
    return this.call('soft.edit', { elid });
  }
}

/** Full order parameters with defaults: ISPmanager Lite for 12 months on 10.0.0.1. */
export function orderParams(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    pricelist: '3541',
    period: '12',
    ip: '10.0.0.1',
    licname: 'vps-1',
    remoteid: 'ref-1',
    skipbasket: 'on',
    sok: 'ok',
    clicked_button: 'finish',
    ...overrides,
  };
}

/** Sends JSON to the control API and returns status and parsed body. */
export async function control(
  sandbox: SandboxHandle,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${sandbox.url}/_sandbox${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}
