import { createHash, timingSafeEqual } from 'node:crypto';
import { SandboxApiError } from './api-error';
import { roundMoney } from './prices';
import type { SandboxAccountOptions } from './types';

/** The default account when none is configured. */
export const DEFAULT_ACCOUNT: Required<SandboxAccountOptions> = {
  username: 'reseller',
  password: 'sandbox',
  balance: 10000,
};

interface Account {
  username: string;
  password: string;
  initialBalance: number;
  balance: number;
}

/** The reseller accounts: credentials and balances. */
export class AccountBook {
  private readonly accounts = new Map<string, Account>();
  readonly defaultUsername: string;

  constructor(options: SandboxAccountOptions[] | undefined) {
    const list = options && options.length > 0 ? options : [DEFAULT_ACCOUNT];
    for (const { username, password, balance } of list) {
      if (this.accounts.has(username)) throw new Error(`sandbox account ${username} is configured twice`);
      const initialBalance = roundMoney(balance ?? DEFAULT_ACCOUNT.balance);
      this.accounts.set(username, { username, password, initialBalance, balance: initialBalance });
    }
    this.defaultUsername = list[0]!.username;
  }

  /** The password of an account (for the handle's credentials). */
  passwordOf(username: string): string {
    return this.require(username).password;
  }

  /** Checks credentials; returns the account's username or throws an `auth` error. */
  authenticate(username: string, password: string): string {
    const account = this.accounts.get(username);
    if (!account || !sameSecret(account.password, password)) {
      throw new SandboxApiError('auth', 'badpassword', 'Invalid username or password');
    }
    return account.username;
  }

  balance(username: string = this.defaultUsername): number {
    return this.require(username).balance;
  }

  setBalance(amount: number, username: string = this.defaultUsername): void {
    if (!Number.isFinite(amount)) throw new RangeError('balance must be a finite number');
    this.require(username).balance = roundMoney(amount);
  }

  /** Takes `amount` from the balance, or throws a `balance` error and takes nothing. */
  charge(username: string, amount: number): void {
    const account = this.require(username);
    if (account.balance < amount) {
      throw new SandboxApiError('balance', 'balance', `Not enough money on the account: ${amount} needed`);
    }
    account.balance = roundMoney(account.balance - amount);
  }

  /** Every account's balance by username. */
  balances(): Record<string, number> {
    return Object.fromEntries([...this.accounts.values()].map((a) => [a.username, a.balance]));
  }

  resetBalances(): void {
    for (const account of this.accounts.values()) account.balance = account.initialBalance;
  }

  private require(username: string): Account {
    const account = this.accounts.get(username);
    if (!account) throw new Error(`no sandbox account named ${username}`);
    return account;
  }
}

function sameSecret(expected: string, given: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(expected), digest(given));
}
