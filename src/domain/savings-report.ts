import type { LicensePeriod } from './period';
import { idleValueOf, remainingDays, roundToCents, type Prices } from './prices';

/**
 * The savings report (CONTRACT.md "Alerts, metrics, reports"), computed from what the cost store counted. Money is
 * summed in one currency, the report's: the one asked for, else the currency of most priced events of the range,
 * else the one most licensing servers' prices use now. An event priced in another currency counts as `unpriced`, like
 * an event with no price. A total with no priced event is null, never 0.
 */

/** `order` and `renewal` spent money; a `reuse` (a pooled license that served a service) avoided an order. */
export type CostKind = 'order' | 'renewal' | 'reuse';

/** Both ends included. */
export interface ReportRange {
  from: Date;
  to: Date;
}

/** Events of one kind, price list, tariff plan and currency (null: unpriced), as the cost store counts them. */
export interface CostGroup {
  kind: CostKind;
  licensingServer: string;
  priceList: string;
  tariffPlan: string | null;
  currency: string | null;
  events: number;
  /** How many of them carry an amount. */
  priced: number;
  /** Their amounts' sum; null when none carries one. */
  total: number | null;
}

export interface TariffPlanServices {
  tariffPlan: string;
  services: number;
}

/** A pooled license that could serve a service now. */
export interface IdleLicense {
  licensingServer: string;
  priceList: string;
  period: LicensePeriod | null;
  paidUntil: Date;
}

export interface SavingsReportInput {
  range: ReportRange;
  now: Date;
  groups: readonly CostGroup[];
  servicesPerTariffPlan: readonly TariffPlanServices[];
  idle: readonly IdleLicense[];
  /** Each licensing server's current prices (idle value; the currency when nothing of the range is priced). */
  pricesByServer: ReadonlyMap<string, Prices | null>;
  /** The currency asked for, if any. */
  currency?: string | null;
}

interface Counted {
  count: number;
  total: number | null;
}

export function buildSavingsReport(input: SavingsReportInput) {
  const currency = reportCurrency(input);
  const kinds: Record<CostKind, Counted> = {
    order: { count: 0, total: null },
    renewal: { count: 0, total: null },
    reuse: { count: 0, total: null },
  };
  const priceLists = new Map<string, { licensingServer: string; priceList: string } & Record<CostKind, Counted>>();
  const plans = new Map<string, { spent: Counted; services: number }>();
  let unpriced = 0;
  for (const group of input.groups) {
    const amount = group.currency === currency && currency !== null ? group.total : null;
    const pricedHere = amount === null ? 0 : group.priced;
    unpriced += group.events - pricedHere;
    add(kinds[group.kind], group.events, amount);
    const listKey = `${group.licensingServer}\u0000${group.priceList}`;
    const list = priceLists.get(listKey) ?? {
      licensingServer: group.licensingServer,
      priceList: group.priceList,
      order: { count: 0, total: null },
      renewal: { count: 0, total: null },
      reuse: { count: 0, total: null },
    };
    add(list[group.kind], group.events, amount);
    priceLists.set(listKey, list);
    if (group.tariffPlan !== null) {
      const plan = plans.get(group.tariffPlan) ?? { spent: { count: 0, total: null }, services: 0 };
      if (group.kind !== 'reuse') add(plan.spent, group.events, amount);
      plans.set(group.tariffPlan, plan);
    }
  }
  for (const { tariffPlan, services } of input.servicesPerTariffPlan) {
    const plan = plans.get(tariffPlan);
    if (plan) plan.services = services;
  }
  const spent = (list: Record<CostKind, Counted>) => sum(list.order.total, list.renewal.total);
  return {
    from: input.range.from.toISOString(),
    to: input.range.to.toISOString(),
    currency,
    orders: { count: kinds.order.count, cost: cents(kinds.order.total) },
    renewals: { count: kinds.renewal.count, cost: cents(kinds.renewal.total) },
    reuses: { count: kinds.reuse.count, costAvoided: cents(kinds.reuse.total) },
    idle: idleOf(input, currency),
    unpriced,
    byPriceList: [...priceLists.values()]
      .sort((a, b) => compare(a.licensingServer, b.licensingServer) || compare(a.priceList, b.priceList))
      .map((list) => ({
        licensingServer: list.licensingServer,
        priceList: list.priceList,
        orders: list.order.count,
        reuses: list.reuse.count,
        renewals: list.renewal.count,
        cost: cents(spent(list)),
        costAvoided: cents(list.reuse.total),
      })),
    byTariffPlan: [...plans.entries()]
      .sort(([a], [b]) => compare(a, b))
      .map(([tariffPlan, plan]) => ({ tariffPlan, services: plan.services, cost: cents(plan.spent.total) })),
  };
}

export type SavingsReport = ReturnType<typeof buildSavingsReport>;

/** The asked currency, else the one of most priced events (ties: alphabetical), else of most current prices. */
export function reportCurrency(input: Pick<SavingsReportInput, 'groups' | 'pricesByServer' | 'currency'>) {
  if (input.currency) return input.currency;
  const priced = new Map<string, number>();
  for (const group of input.groups)
    if (group.currency) priced.set(group.currency, (priced.get(group.currency) ?? 0) + group.priced);
  if (priced.size) return mostCommon(priced);
  const current = new Map<string, number>();
  for (const prices of input.pricesByServer.values())
    if (prices) current.set(prices.currency, (current.get(prices.currency) ?? 0) + 1);
  return current.size ? mostCommon(current) : null;
}

/** Idle licenses, their paid days left, and what those are worth on their period's current price. */
function idleOf(input: SavingsReportInput, currency: string | null) {
  let paidDays = 0;
  let value: number | null = null;
  for (const license of input.idle) {
    const days = remainingDays(license.paidUntil, input.now);
    paidDays += days;
    const prices = input.pricesByServer.get(license.licensingServer);
    const worth = license.period === null ? null : idleValueOf(prices, license.priceList, license.period, days);
    if (worth && worth.currency === currency) value = (value ?? 0) + worth.amount;
  }
  return { licenses: input.idle.length, paidDays: Math.round(paidDays * 10) / 10, value: cents(value) };
}

function add(into: Counted, events: number, amount: number | null): void {
  into.count += events;
  into.total = sum(into.total, amount);
}

function sum(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : a + b;
}

function cents(amount: number | null): number | null {
  return amount === null ? null : roundToCents(amount);
}

function mostCommon(counts: Map<string, number>): string {
  return [...counts.entries()].sort(([a, m], [b, n]) => n - m || compare(a, b))[0]![0];
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
