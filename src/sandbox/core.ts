import { AccountBook } from './accounts';
import { BillmgrApi } from './api';
import { BackOffice } from './back-office';
import { CallLog } from './call-log';
import { SandboxClock } from './clock';
import { FaultBoard } from './faults';
import { Ledger } from './ledger';
import { buildPriceTable } from './prices';
import { SessionStore } from './sessions';
import type { SandboxLicense, SandboxOptions } from './types';

/** The sandbox's state as the control API shows it. */
export interface SandboxState {
  clock: string;
  latencyMs: number;
  balances: Record<string, number>;
  licenses: SandboxLicense[];
  /** Armed faults; `times` and `remaining` are the string `"Infinity"` for faults armed without end. */
  faults: { fault: Record<string, unknown>; remaining: number | 'Infinity' }[];
}

/** Everything one sandbox holds, shared by the API, the control API and the in-process handle. */
export class SandboxCore {
  readonly clock: SandboxClock;
  readonly accounts: AccountBook;
  readonly sessions: SessionStore;
  readonly ledger: Ledger;
  /** Changes to licenses made outside the API (by hand upstream, by another billing system). */
  readonly backOffice: BackOffice;
  readonly faults = new FaultBoard();
  readonly log: CallLog;
  readonly api: BillmgrApi;
  latencyMs: number;

  constructor(options: SandboxOptions) {
    this.clock = new SandboxClock(options.startTime);
    this.accounts = new AccountBook(options.accounts);
    this.sessions = new SessionStore(this.clock);
    this.ledger = new Ledger(this.clock, this.accounts, buildPriceTable(options.prices));
    this.backOffice = new BackOffice(this.clock, this.accounts, this.ledger);
    this.log = new CallLog(options.onCall);
    this.api = new BillmgrApi({
      clock: this.clock,
      accounts: this.accounts,
      sessions: this.sessions,
      ledger: this.ledger,
    });
    this.latencyMs = requireLatency(options.latencyMs ?? 0);
  }

  setLatency(ms: number): void {
    this.latencyMs = requireLatency(ms);
  }

  /** Clears licenses, calls, faults, sessions and trial history; restores balances and the clock. */
  reset(): void {
    this.ledger.reset();
    this.log.clear();
    this.faults.clear();
    this.sessions.clear();
    this.accounts.resetBalances();
    this.clock.reset();
  }

  state(): SandboxState {
    return {
      clock: this.clock.now().toISOString(),
      latencyMs: this.latencyMs,
      balances: this.accounts.balances(),
      licenses: this.ledger.snapshots(),
      faults: this.faults.list().map(({ fault, remaining }) => ({
        fault: { ...fault, ...(fault.times === Infinity ? { times: 'Infinity' } : {}) },
        remaining: remaining === Infinity ? 'Infinity' : remaining,
      })),
    };
  }
}

function requireLatency(ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError('latency must be a non-negative number of milliseconds');
  return ms;
}
