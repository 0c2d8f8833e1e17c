import type { Command } from 'commander';
import { ApiError } from './cli-errors';
import { contextOf, segment, type CommandContext } from './context';
import { LICENSE_COLUMNS, type LicenseItem } from './license-commands';
import { waitAndReport, type Queued } from './operations-wait';

/** `GET /v1/services/{id}`. */
interface ServiceAnswer {
  service: {
    id: string;
    name: string | null;
    ip: string | null;
    tariffPlan: string | null;
    period: number | string | null;
    paidUntil: string | null;
    controlPanel: string | null;
    status: string;
  };
  license: { id: string } | null;
}

export function registerServiceCommands(program: Command): void {
  program
    .command('info <service>')
    .description('a service as last known and its license (like licctl info)')
    .action(async (serviceId: string, _options: unknown, command: Command) =>
      showService(contextOf(command), serviceId),
    );
  program
    .command('fetch <service>')
    .description('give the service its license again, pool first (like licctl fetch)')
    .option('--wait', 'wait for the operation to settle and print its outcome')
    .action(async (serviceId: string, options: { wait?: boolean }, command: Command) =>
      provide(contextOf(command), serviceId, options.wait),
    );
}

/**
 * The service from `GET /v1/services/{id}` (admin or platform tokens) and its license from the admin license list
 * (admin or viewer), which also shows a license the service no longer holds live (deleted upstream, say). A role
 * that reaches only one of the two still sees that one.
 */
async function showService(ctx: CommandContext, serviceId: string): Promise<void> {
  const [serviceRead, licensesRead] = await Promise.allSettled([
    ctx.api.get<ServiceAnswer>(`/v1/services/${segment(serviceId)}`),
    ctx.api.get<{ items: LicenseItem[] }>('/v1/admin/licenses', { serviceId, limit: 20 }),
  ]);
  const forbidden = (read: PromiseSettledResult<unknown>) =>
    read.status === 'rejected' && read.reason instanceof ApiError && read.reason.status === 403;
  if (serviceRead.status === 'rejected' && !(forbidden(serviceRead) && licensesRead.status === 'fulfilled'))
    throw serviceRead.reason;
  if (licensesRead.status === 'rejected' && !(forbidden(licensesRead) && serviceRead.status === 'fulfilled'))
    throw licensesRead.reason;

  const service = serviceRead.status === 'fulfilled' ? serviceRead.value : null;
  const held = licensesRead.status === 'fulfilled' ? licensesRead.value.items : [];
  const license =
    held.find((l) => l.id === service?.license?.id) ?? held.find((l) => l.status !== 'deleted') ?? held[0];
  if (ctx.output.json) {
    ctx.output.printJson({ service: service?.service ?? null, license: license ?? service?.license ?? null });
    return;
  }
  const { output } = ctx;
  if (service) {
    const s = service.service;
    output.fields([
      ['service', s.id],
      ['status', s.status],
      ['name', s.name],
      ['ip', s.ip],
      ['tariff plan', s.tariffPlan],
      ['control panel', s.controlPanel],
      ['period', s.period],
      ['paid until', s.paidUntil],
    ]);
  } else output.line(`service ${serviceId}: this token's role may not read services (needs admin or platform)`);
  output.heading('License');
  if (licensesRead.status === 'rejected') {
    output.line(service?.license ? JSON.stringify(service.license) : '(none bound)');
    return;
  }
  output.table(held, LICENSE_COLUMNS);
  if (!service?.license && held.length > 0)
    output.line(`no live license is bound: plm fetch ${serviceId} gives it one again`);
}

async function provide(ctx: CommandContext, serviceId: string, wait?: boolean): Promise<void> {
  const queued = await ctx.api.post<Queued>(`/v1/admin/services/${segment(serviceId)}/provide`);
  if (wait) {
    await waitAndReport(ctx.api, ctx.output, [queued.operationId], ctx.waitTimeoutMs);
    return;
  }
  if (ctx.output.json) ctx.output.printJson(queued);
  else ctx.output.line(`queued: operation ${queued.operationId} (service.provide); --wait follows it`);
}
