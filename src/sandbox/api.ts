import type { AccountBook } from './accounts';
import { SandboxApiError } from './api-error';
import type { Ledger } from './ledger';
import type { LicenseRecord } from './license-rules';
import { isProcessingAt, statusAt } from './license-rules';
import type { SandboxClock } from './clock';
import type { SessionStore } from './sessions';
import { authDoc, doc, elements, errorDoc, okDoc } from './xml';

/** Request parameters, query and form body merged. */
export type ApiParams = Record<string, string>;

/** What one API call produced. */
export interface ApiResult {
  xml: string;
  outcome: 'ok' | 'error';
  errorType?: string;
  licenseId?: string;
  account?: string;
}

interface FunctionReply {
  xml: string;
  licenseId?: string;
}

type ApiFunction = (account: string, params: ApiParams) => FunctionReply;

/** Everything the API functions work on. */
export interface ApiDeps {
  clock: SandboxClock;
  accounts: AccountBook;
  sessions: SessionStore;
  ledger: Ledger;
}

/** Turns one request's parameters into one XML reply, performing the function it names. */
export class BillmgrApi {
  private readonly functions: Record<string, ApiFunction> = {
    'soft.order.param': (account, p) => this.order(account, p),
    'soft.edit': (account, p) => (p.sok === 'ok' ? this.edit(account, p) : this.read(account, p)),
    'service.prolong': (account, p) => this.prolong(account, p),
    'soft.suspend': (account, p) => this.simple(() => this.deps.ledger.suspend(account, elidOf(p))),
    'soft.resume': (account, p) => this.simple(() => this.deps.ledger.resume(account, elidOf(p))),
    'soft.delete': (account, p) => this.remove(account, p),
    soft: (account) => this.list(account),
  };

  constructor(private readonly deps: ApiDeps) {}

  /** Performs the call; upstream refusals come back as error documents, never as exceptions. */
  handle(params: ApiParams): ApiResult {
    let account: string | undefined;
    try {
      if (params.out !== 'xml') throw new SandboxApiError('value', 'out', 'The sandbox answers out=xml only');
      if (params.func === 'auth') return { xml: this.auth(params), outcome: 'ok', account: params.username };
      account = this.authenticate(params);
      const run = Object.hasOwn(this.functions, params.func ?? '') ? this.functions[params.func!] : undefined;
      if (!run) throw new SandboxApiError('missing', 'func', `Unknown function: ${params.func ?? '(none)'}`);
      const reply = run(account, params);
      return { xml: reply.xml, outcome: 'ok', licenseId: reply.licenseId ?? params.elid, account };
    } catch (error) {
      if (!(error instanceof SandboxApiError)) throw error;
      const xml = errorDoc(error.type, error.object, error.message);
      return { xml, outcome: 'error', errorType: error.type, licenseId: params.elid, account };
    }
  }

  private auth(params: ApiParams): string {
    const username = this.deps.accounts.authenticate(params.username ?? '', params.password ?? '');
    return authDoc(this.deps.sessions.open(username));
  }

  private authenticate(params: ApiParams): string {
    if (params.authinfo !== undefined) {
      const colon = params.authinfo.indexOf(':');
      if (colon < 0) throw new SandboxApiError('auth', 'badpassword', 'authinfo must be user:password');
      return this.deps.accounts.authenticate(params.authinfo.slice(0, colon), params.authinfo.slice(colon + 1));
    }
    if (params.auth !== undefined) return this.deps.sessions.use(params.auth);
    throw new SandboxApiError('auth', 'session', 'Authentication required: auth or authinfo');
  }

  private order(account: string, p: ApiParams): FunctionReply {
    if (p.sok !== 'ok') return { xml: doc(elements({ pricelist: p.pricelist ?? '', period: p.period ?? '' })) };
    if (p.skipbasket !== 'on') {
      throw new SandboxApiError('value', 'skipbasket', 'The sandbox has no basket: send skipbasket=on');
    }
    const license = this.deps.ledger.order({
      owner: account,
      pricelist: p.pricelist ?? '',
      period: p.period ?? '',
      ip: p.ip ?? '',
      licname: p.licname ?? '',
      remoteid: p.remoteid ?? '',
      autoprolong: p.autoprolong ?? null,
    });
    return { xml: okDoc(elements({ id: license.id })), licenseId: license.id };
  }

  private read(account: string, p: ApiParams): FunctionReply {
    const license = this.deps.ledger.get(account, elidOf(p));
    const now = this.deps.clock.now();
    const { id, pricelist, ip, licname, remoteid } = license;
    const { lickey, expiredate } = shownWhileProcessing(license, now);
    const status = statusAt(license, now);
    return { xml: doc(elements({ elid: id, pricelist, ip, licname, lickey, status, expiredate, remoteid })) };
  }

  private edit(account: string, p: ApiParams): FunctionReply {
    const newKey = p.clicked_button === 'newkey';
    this.deps.ledger.edit(account, elidOf(p), { ip: p.ip, licname: p.licname, newKey });
    return { xml: okDoc() };
  }

  private prolong(account: string, p: ApiParams): FunctionReply {
    const elid = elidOf(p);
    if (p.sok !== 'ok') {
      this.deps.ledger.get(account, elid);
      return { xml: doc(elements({ elid, period: p.period ?? '' })) };
    }
    this.deps.ledger.prolong(account, elid, p.period ?? '');
    return { xml: okDoc() };
  }

  private remove(account: string, p: ApiParams): FunctionReply {
    const elid = elidOf(p);
    if (p.sok !== 'ok') {
      this.deps.ledger.get(account, elid);
      return { xml: doc(elements({ elid })) };
    }
    this.deps.ledger.delete(account, elid);
    return { xml: okDoc() };
  }

  private simple(action: () => void): FunctionReply {
    action();
    return { xml: okDoc() };
  }

  private list(account: string): FunctionReply {
    const now = this.deps.clock.now();
    const items = this.deps.ledger.list(account).map((license) => `<elem>${listFields(license, now)}</elem>`);
    return { xml: doc(items.join('')) };
  }
}

function listFields(license: LicenseRecord, now: Date): string {
  const { id, pricelist, ip, licname, remoteid } = license;
  const { expiredate } = shownWhileProcessing(license, now);
  return elements({ id, pricelist, ip, licname, status: statusAt(license, now), expiredate, remoteid });
}

/** A license still being processed shows no expiry and no key yet, like a real upstream's. */
function shownWhileProcessing(license: LicenseRecord, now: Date): { lickey: string; expiredate: string } {
  return isProcessingAt(license, now)
    ? { lickey: '', expiredate: '' }
    : { lickey: license.lickey, expiredate: license.expiredate };
}

function elidOf(p: ApiParams): string {
  const elid = p.elid ?? '';
  if (elid === '') throw new SandboxApiError('missing', 'elid', 'No license given (elid)');
  return elid;
}
