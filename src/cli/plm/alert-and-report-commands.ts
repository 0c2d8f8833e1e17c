import { Option, type Command } from 'commander';
import { contextOf, parseTime, type CommandContext } from './context';
import { money } from './output';

interface Alert {
  id: string;
  kind: string;
  severity: string;
  subject: Record<string, unknown>;
  message: string;
  openedAt: string;
  escalations: number;
  notifiedAt: string | null;
  resolvedAt: string | null;
}

type Money = number | null;

/** `GET /v1/admin/reports/savings` (CONTRACT.md "Alerts, metrics, reports"). */
interface SavingsReport {
  from: string;
  to: string;
  currency: string | null;
  orders: { count: number; cost: Money };
  renewals: { count: number; cost: Money };
  reuses: { count: number; costAvoided: Money };
  idle: { licenses: number; paidDays: number; value: Money };
  unpriced: number;
  byPriceList: Array<{
    licensingServer: string;
    priceList: string;
    orders: number;
    reuses: number;
    renewals: number;
    cost: Money;
    costAvoided: Money;
  }>;
  byTariffPlan: Array<{ tariffPlan: string; services: number; cost: Money }>;
}

const ALERT_KINDS = [
  'renewal_failing',
  'upstream_unreachable',
  'balance_refused',
  'operation_failed',
  'spend_limit',
  'drift',
  'pool_low',
];

export function registerAlertAndReportCommands(program: Command): void {
  program
    .command('alerts')
    .description('alerts, open and resolved (GET /v1/admin/alerts)')
    .addOption(new Option('--state <state>', 'open or resolved').choices(['open', 'resolved']))
    .addOption(new Option('--kind <kind>', 'only this kind').choices(ALERT_KINDS))
    .action(async (options: { state?: string; kind?: string }, command: Command) =>
      listAlerts(contextOf(command), options),
    );
  const report = program.command('report').description('reports on money');
  report
    .command('savings')
    .description('spent, saved by reuse, and idle in the pool (GET /v1/admin/reports/savings)')
    .option('--from <time>', 'from this date or time', parseTime)
    .option('--to <time>', 'up to this date or time', parseTime)
    .action(async (options: { from?: string; to?: string }, command: Command) =>
      savingsReport(contextOf(command), options),
    );
}

async function listAlerts(ctx: CommandContext, options: { state?: string; kind?: string }): Promise<void> {
  const answer = await ctx.api.get<{ items: Alert[] }>('/v1/admin/alerts', options);
  if (ctx.output.json) {
    ctx.output.printJson(answer);
    return;
  }
  ctx.output.table(answer.items, [
    { header: 'ID', value: (alert) => alert.id },
    { header: 'KIND', value: (alert) => alert.kind },
    { header: 'SEVERITY', value: (alert) => alert.severity },
    { header: 'SUBJECT', value: (alert) => alert.subject },
    { header: 'OPENED', value: (alert) => alert.openedAt },
    { header: 'ESCALATIONS', value: (alert) => alert.escalations },
    { header: 'RESOLVED', value: (alert) => alert.resolvedAt },
    { header: 'MESSAGE', value: (alert) => alert.message },
  ]);
}

async function savingsReport(ctx: CommandContext, options: { from?: string; to?: string }): Promise<void> {
  const report = await ctx.api.get<SavingsReport>('/v1/admin/reports/savings', options);
  if (ctx.output.json) {
    ctx.output.printJson(report);
    return;
  }
  const { output } = ctx;
  const sum = (amount: Money) => money(amount, report.currency);
  output.fields([
    ['from', report.from],
    ['to', report.to],
    ['orders', `${report.orders.count}, cost ${sum(report.orders.cost)}`],
    ['renewals', `${report.renewals.count}, cost ${sum(report.renewals.cost)}`],
    ['reuses', `${report.reuses.count}, cost avoided ${sum(report.reuses.costAvoided)}`],
    [
      'idle in the pool',
      `${report.idle.licenses} licenses, ${report.idle.paidDays} paid days, ${sum(report.idle.value)}`,
    ],
    ['unpriced events', report.unpriced],
  ]);
  output.heading('By price list');
  output.table(report.byPriceList, [
    { header: 'SERVER', value: (row) => row.licensingServer },
    { header: 'PRICE LIST', value: (row) => row.priceList },
    { header: 'ORDERS', value: (row) => row.orders },
    { header: 'REUSES', value: (row) => row.reuses },
    { header: 'RENEWALS', value: (row) => row.renewals },
    { header: 'COST', value: (row) => sum(row.cost) },
    { header: 'AVOIDED', value: (row) => sum(row.costAvoided) },
  ]);
  output.heading('By tariff plan');
  output.table(report.byTariffPlan, [
    { header: 'TARIFF PLAN', value: (row) => row.tariffPlan },
    { header: 'SERVICES', value: (row) => row.services },
    { header: 'COST', value: (row) => sum(row.cost) },
  ]);
}
