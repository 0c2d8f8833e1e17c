import { Option, type Command } from 'commander';
import { contextOf, parseTime, type CommandContext } from './context';
import { money } from './output';
import type { AlertItem as Alert, Money, SavingsReport } from '../../admin-api/shapes';
import { ALERT_KINDS } from '../../domain/alerts';

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
