import { Option, type Command } from 'commander';
import { OperationNotDoneError, UsageError } from './cli-errors';
import { collect, contextOf, segment, type CommandContext } from './context';
import { waitAndReport } from './operations-wait';
import type { DriftReport } from '../../admin-api/shapes';

const DRIFT_KINDS = ['unknown_upstream', 'missing_upstream', 'mismatch'];
const POLL_MS = 250;

export function registerReconcileCommands(program: Command): void {
  program
    .command('reconcile <server>')
    .description("compare the licensing server's license list with the service's books (it only reads upstream)")
    .option('--wait', 'wait for the run to end and print the drift it found')
    .action(async (server: string, options: { wait?: boolean }, command: Command) =>
      reconcile(contextOf(command), server, options.wait),
    );
  program
    .command('drift')
    .description('what the last reconciliation of each licensing server found (GET /v1/admin/drift)')
    .option('--licensing-server <key>', 'only this licensing server')
    .addOption(new Option('--kind <kind>', 'only this kind').choices(DRIFT_KINDS))
    .action(async (options: { licensingServer?: string; kind?: string }, command: Command) =>
      showDrift(contextOf(command), options),
    );
  program
    .command('adopt')
    .description('make live upstream licenses nobody here knows pooled licenses of ours')
    .requiredOption('--licensing-server <key>', 'licensing server')
    .option('--upstream-id <id>', 'an upstream license id (repeat for more)', collect)
    .option('--all', 'every unknown_upstream drift item of that server')
    .option('--wait', 'wait for every adoption to settle and print the outcomes')
    .action(
      async (
        options: { licensingServer: string; upstreamId?: string[]; all?: boolean; wait?: boolean },
        command: Command,
      ) => adopt(contextOf(command), options),
    );
}

async function reconcile(ctx: CommandContext, server: string, wait?: boolean): Promise<void> {
  const before = wait ? (await readDrift(ctx, server)).checkedAt[server] : undefined;
  const { runId } = await ctx.api.post<{ runId: string }>(`/v1/admin/licensing-servers/${segment(server)}/reconcile`);
  if (!wait) {
    if (ctx.output.json) ctx.output.printJson({ runId });
    else ctx.output.line(`queued: reconciliation run ${runId} of ${server}; see its findings with plm drift`);
    return;
  }
  // A run has no read of its own: its end shows as a new `checkedAt` of the server (set by a successful run).
  const deadline = Date.now() + ctx.waitTimeoutMs;
  for (;;) {
    const drift = await readDrift(ctx, server);
    const checkedAt = drift.checkedAt[server];
    if (checkedAt && checkedAt !== before) {
      if (ctx.output.json) ctx.output.printJson({ runId, ...drift });
      else {
        ctx.output.line(`run ${runId} of ${server} ended; ${drift.items.length} drift item(s)`);
        printDrift(ctx, drift);
      }
      return;
    }
    if (Date.now() >= deadline)
      throw new OperationNotDoneError(
        `run ${runId} of ${server} did not end successfully within ${Math.round(ctx.waitTimeoutMs / 1000)} s`,
        'it may have failed: an unreachable licensing server opens an alert (plm alerts --kind upstream_unreachable)',
      );
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

function readDrift(ctx: CommandContext, licensingServer?: string, kind?: string): Promise<DriftReport> {
  return ctx.api.get<DriftReport>('/v1/admin/drift', { licensingServer, kind });
}

async function showDrift(ctx: CommandContext, options: { licensingServer?: string; kind?: string }): Promise<void> {
  const drift = await readDrift(ctx, options.licensingServer, options.kind);
  if (ctx.output.json) ctx.output.printJson(drift);
  else printDrift(ctx, drift);
}

function printDrift(ctx: CommandContext, drift: DriftReport): void {
  ctx.output.table(drift.items, [
    { header: 'KIND', value: (item) => item.kind },
    { header: 'SERVER', value: (item) => item.licensingServer },
    { header: 'UPSTREAM ID', value: (item) => item.upstreamId },
    { header: 'LICENSE', value: (item) => item.licenseId },
    { header: 'SERVICE', value: (item) => item.serviceId },
    { header: 'FIELD', value: (item) => item.field },
    { header: 'LOCAL', value: (item) => item.local },
    { header: 'UPSTREAM', value: (item) => item.upstream },
    { header: 'DETECTED', value: (item) => item.detectedAt },
  ]);
  const checked = Object.entries(drift.checkedAt);
  ctx.output.line();
  if (checked.length === 0) ctx.output.line('no licensing server has been reconciled yet');
  for (const [server, at] of checked) ctx.output.line(`${server} last checked ${at}`);
}

async function adopt(
  ctx: CommandContext,
  options: { licensingServer: string; upstreamId?: string[]; all?: boolean; wait?: boolean },
): Promise<void> {
  const byId = options.upstreamId && options.upstreamId.length > 0;
  if (Boolean(byId) === Boolean(options.all))
    throw new UsageError(
      'adopt takes either --upstream-id ID (repeatable) or --all',
      'e.g. plm adopt --licensing-server isp --all',
    );
  const answer = await ctx.api.post<{ operationIds: string[] }>('/v1/admin/licenses/adopt', {
    licensingServer: options.licensingServer,
    ...(options.all ? { all: true } : { upstreamIds: options.upstreamId }),
  });
  if (options.wait) {
    await waitAndReport(ctx.api, ctx.output, answer.operationIds, ctx.waitTimeoutMs);
    return;
  }
  if (ctx.output.json) ctx.output.printJson(answer);
  else
    ctx.output.line(
      `queued: ${answer.operationIds.length} license.adopt operation(s): ${answer.operationIds.join(' ')}`,
    );
}
