import { Option, type Command } from 'commander';
import { contextOf, parsePositiveInteger, segment, type CommandContext } from './context';
import { describeOperation, waitAndReport, type Operation, type Queued } from './operations-wait';

const STATUSES = ['queued', 'running', 'waiting', 'succeeded', 'failed'];

export function registerOperationCommands(program: Command): void {
  const operations = program.command('operations').description('the operations the service runs');
  operations
    .command('list', { isDefault: true })
    .description('operations, newest first (GET /v1/admin/operations)')
    .addOption(new Option('--status <status>', 'only operations in this status').choices(STATUSES))
    .option('--service <id>', "only this service's operations")
    .option('--limit <n>', 'at most this many (API default 100)', parsePositiveInteger)
    .action(async (options: { status?: string; service?: string; limit?: number }, command: Command) =>
      listOperations(contextOf(command), options),
    );
  operations
    .command('show <id>')
    .description('one operation and how it went (GET /v1/operations/{id})')
    .action(async (id: string, _options: unknown, command: Command) => showOperation(contextOf(command), id));
  operations
    .command('retry <id>')
    .description('run a failed or waiting operation again now')
    .option('--wait', 'wait for it to settle and print its outcome')
    .action(async (id: string, options: { wait?: boolean }, command: Command) =>
      retryOperation(contextOf(command), id, options.wait),
    );
}

async function listOperations(
  ctx: CommandContext,
  options: { status?: string; service?: string; limit?: number },
): Promise<void> {
  const answer = await ctx.api.get<{ items: Operation[] }>('/v1/admin/operations', {
    status: options.status,
    serviceId: options.service,
    limit: options.limit,
  });
  if (ctx.output.json) {
    ctx.output.printJson(answer);
    return;
  }
  ctx.output.table(answer.items, [
    { header: 'ID', value: (op) => op.id },
    { header: 'EVENT', value: (op) => op.event },
    { header: 'SERVICE', value: (op) => op.serviceId },
    { header: 'STATUS', value: (op) => op.status },
    { header: 'ATTEMPTS', value: (op) => op.attempts },
    { header: 'UPDATED', value: (op) => op.updatedAt },
    { header: 'WHY', value: (op) => (op.error ? `${op.error.code}: ${op.error.message}` : null) },
  ]);
}

async function showOperation(ctx: CommandContext, id: string): Promise<void> {
  const op = await ctx.api.get<Operation>(`/v1/operations/${segment(id)}`);
  if (ctx.output.json) ctx.output.printJson(op);
  else ctx.output.line(describeOperation(op));
}

async function retryOperation(ctx: CommandContext, id: string, wait?: boolean): Promise<void> {
  const queued = await ctx.api.post<Queued>(`/v1/admin/operations/${segment(id)}/retry`);
  if (wait) {
    await waitAndReport(ctx.api, ctx.output, [queued.operationId], ctx.waitTimeoutMs);
    return;
  }
  if (ctx.output.json) ctx.output.printJson(queued);
  else ctx.output.line(`queued again: operation ${queued.operationId}; --wait follows it`);
}
