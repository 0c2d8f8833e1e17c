import type { Command } from 'commander';
import { contextOf, parsePeriod, parsePositiveInteger, type CommandContext } from './context';
import { waitAndReport } from './operations-wait';

interface PoolRow {
  licensingServer: string;
  priceList: string;
  pooled: number;
  eligible: number;
  soonestExpiry: string | null;
}

interface PoolOrderOptions {
  licensingServer: string;
  priceList: string;
  period: number | 'lifetime';
  count: number;
  ip?: string;
  wait?: boolean;
}

export function registerPoolCommands(program: Command): void {
  const pool = program
    .command('pool')
    .description('paid, unused licenses per licensing server and price list (GET /v1/admin/pool)')
    .action(async (_options: unknown, command: Command) => showPool(contextOf(command)));
  pool
    .command('order')
    .description('order licenses straight into the pool (POST /v1/admin/pool/orders)')
    .requiredOption('--licensing-server <key>', 'licensing server')
    .requiredOption('--price-list <id>', 'price list (digits)')
    .requiredOption('--period <period>', 'months or "lifetime"', parsePeriod)
    .option('--count <n>', 'how many licenses (1-100)', parsePositiveInteger, 1)
    .option('--ip <ip>', "the IP the orders carry (default: the server's settings.poolIp, else 0.0.0.0)")
    .option('--wait', 'wait for every order to settle and print the outcomes')
    .action(async (options: PoolOrderOptions, command: Command) => orderIntoPool(contextOf(command), options));
}

async function showPool(ctx: CommandContext): Promise<void> {
  const pool = await ctx.api.get<{ items: PoolRow[] }>('/v1/admin/pool');
  if (ctx.output.json) {
    ctx.output.printJson(pool);
    return;
  }
  ctx.output.table(pool.items, [
    { header: 'LICENSING SERVER', value: (row) => row.licensingServer },
    { header: 'PRICE LIST', value: (row) => row.priceList },
    { header: 'POOLED', value: (row) => row.pooled },
    { header: 'ELIGIBLE', value: (row) => row.eligible },
    { header: 'SOONEST EXPIRY', value: (row) => row.soonestExpiry },
  ]);
}

async function orderIntoPool(ctx: CommandContext, options: PoolOrderOptions): Promise<void> {
  const answer = await ctx.api.post<{ operationIds: string[] }>('/v1/admin/pool/orders', {
    licensingServer: options.licensingServer,
    priceList: options.priceList,
    period: options.period,
    count: options.count,
    ...(options.ip ? { ip: options.ip } : {}),
  });
  if (options.wait) {
    await waitAndReport(ctx.api, ctx.output, answer.operationIds, ctx.waitTimeoutMs);
    return;
  }
  if (ctx.output.json) ctx.output.printJson(answer);
  else
    ctx.output.line(`queued: ${answer.operationIds.length} pool.order operation(s): ${answer.operationIds.join(' ')}`);
}
