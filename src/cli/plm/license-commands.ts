import { Option, type Command } from 'commander';
import { ApiError } from './cli-errors';
import { contextOf, parsePeriod, parsePositiveInteger, parseTime, segment, type CommandContext } from './context';
import { waitAndReport, type Queued } from './operations-wait';
import type { Column } from './output';
import type { LicenseItem } from '../../admin-api/shapes';

export type { LicenseItem };

interface LicensePage {
  items: LicenseItem[];
  nextCursor: string | null;
}

interface AuditPage {
  items: Array<{ id: string; at: string; actor: string; action: string; operationId: string | null; details: unknown }>;
  nextCursor: string | null;
}

export const LICENSE_COLUMNS: Column<LicenseItem>[] = [
  { header: 'ID', value: (l) => l.id },
  { header: 'UPSTREAM', value: (l) => l.upstreamId },
  { header: 'SERVICE', value: (l) => l.serviceId },
  { header: 'STATUS', value: (l) => l.status },
  { header: 'WHERE', value: (l) => l.state ?? (l.pooled ? 'pooled' : l.serviceId ? 'bound' : '') },
  { header: 'SERVER', value: (l) => l.licensingServer },
  { header: 'PRICE LIST', value: (l) => l.priceList },
  { header: 'PERIOD', value: (l) => l.period },
  { header: 'IP', value: (l) => l.ip },
  { header: 'PAID UNTIL', value: (l) => l.paidUntil },
  { header: 'NAME', value: (l) => l.name },
];

interface ListOptions {
  status?: string;
  ip?: string;
  priceList?: string;
  name?: string;
  service?: string;
  pooled?: boolean;
  expiresBefore?: string;
  expiresAfter?: string;
  id?: string;
  period?: string;
  limit?: number;
  cursor?: string;
  all?: boolean;
}

const STATUSES = ['unknown', 'ordered', 'active', 'suspended', 'deleted', 'processing'];

export function registerLicenseCommands(program: Command): void {
  const licenses = program.command('licenses').description("the account's licenses, filtered like the license list");
  licenses
    .command('list', { isDefault: true })
    .description('list licenses (GET /v1/admin/licenses)')
    .addOption(new Option('--status <status>', 'license status').choices(STATUSES))
    .option('--ip <ip>', 'IP address')
    .option('--price-list <id>', 'price list (software)')
    .option('--name <name>', 'name')
    .option('--service <id>', 'bound to this service')
    .option('--pooled', 'only pooled licenses')
    .option('--no-pooled', 'only licenses that are not pooled')
    .option('--expires-before <time>', 'paid until before this date or time', parseTime)
    .option('--expires-after <time>', 'paid until after this date or time', parseTime)
    .option('--id <id>', 'our license id or the upstream id')
    .option('--period <period>', 'months, "lifetime" or "trial"')
    .option('--limit <n>', 'licenses per page (API default 100)', parsePositiveInteger)
    .option('--cursor <cursor>', 'the page after this cursor (from a previous page)')
    .option('--all', 'follow nextCursor to the last page')
    .action(async (options: ListOptions, command: Command) => listLicenses(contextOf(command), options));

  const license = program.command('license').description('one license: show it, or act on it by hand');
  license
    .command('show <id>')
    .description('the license and its audit trail')
    .option('--limit <n>', 'audit rows to show', parsePositiveInteger, 50)
    .action(async (id: string, options: { limit: number }, command: Command) =>
      showLicense(contextOf(command), id, options.limit),
    );

  const action = (name: string, description: string) =>
    license
      .command(`${name} <id>`)
      .description(`${description} (POST /v1/admin/licenses/{id}/actions)`)
      .option('--wait', 'wait for the operation to settle and print its outcome');
  action('renew', 'renew the license upstream')
    .option('--period <period>', "the renewal's period (default: the license's own)", parsePeriod)
    .action(async (id: string, options: { wait?: boolean; period?: number | 'lifetime' }, command: Command) =>
      act(contextOf(command), id, { action: 'renew', period: options.period }, options.wait),
    );
  for (const [name, description] of [
    ['suspend', 'suspend the license upstream'],
    ['resume', 'resume a suspended license'],
    ['regenerate-key', 'regenerate its activation key'],
    ['delete', 'delete an unbound license upstream'],
  ] as const) {
    action(name, description).action(async (id: string, options: { wait?: boolean }, command: Command) =>
      act(contextOf(command), id, { action: name }, options.wait),
    );
  }
  action('change-ip', "move the license to another IP (the service's IP stays)")
    .requiredOption('--ip <ip>', 'the new IP')
    .action(async (id: string, options: { wait?: boolean; ip: string }, command: Command) =>
      act(contextOf(command), id, { action: 'change-ip', ip: options.ip }, options.wait),
    );
}

async function listLicenses(ctx: CommandContext, options: ListOptions): Promise<void> {
  const query = {
    status: options.status,
    ip: options.ip,
    priceList: options.priceList,
    name: options.name,
    serviceId: options.service,
    pooled: options.pooled,
    expiresBefore: options.expiresBefore,
    expiresAfter: options.expiresAfter,
    id: options.id,
    period: options.period,
    limit: options.limit,
  };
  let page = await ctx.api.get<LicensePage>('/v1/admin/licenses', { ...query, cursor: options.cursor });
  const items = [...page.items];
  while (options.all && page.nextCursor) {
    page = await ctx.api.get<LicensePage>('/v1/admin/licenses', { ...query, cursor: page.nextCursor });
    items.push(...page.items);
  }
  if (ctx.output.json) {
    ctx.output.printJson(options.all ? { items, nextCursor: null } : page);
    return;
  }
  ctx.output.table(items, LICENSE_COLUMNS);
  if (page.nextCursor) process.stderr.write(`more: add --cursor ${page.nextCursor} (or --all)\n`);
}

/** The license by our id or the upstream's, through the list's `id` filter (there is no single-license read). */
export async function findLicense(ctx: CommandContext, id: string): Promise<LicenseItem> {
  const page = await ctx.api.get<LicensePage>('/v1/admin/licenses', { id, limit: 1 });
  const found = page.items[0];
  if (found) return found;
  const request = { method: 'GET', path: `/v1/admin/licenses?id=${id}` };
  const message = `no license "${id}" (neither our id nor an upstream id)`;
  throw new ApiError(404, 'not_found', message, null, request, { error: { code: 'not_found', message } });
}

async function showLicense(ctx: CommandContext, id: string, limit: number): Promise<void> {
  const license = await findLicense(ctx, id);
  const audit = await ctx.api.get<AuditPage>('/v1/admin/audit', { licenseId: license.id, limit });
  if (ctx.output.json) {
    ctx.output.printJson({ license, audit });
    return;
  }
  const { output } = ctx;
  output.fields([
    ['license', license.id],
    ['upstream id', license.upstreamId],
    ['licensing server', license.licensingServer],
    ['price list', license.priceList],
    ['status', license.status],
    ['where', license.state ?? (license.pooled ? 'pooled' : license.serviceId ? 'bound' : '-')],
    ['service', license.serviceId],
    ['ip', license.ip],
    ['name', license.name],
    ['period', license.period],
    ['paid until', license.paidUntil],
    ['source', license.source],
    ['created', license.createdAt],
    ['activation key', license.activationKey],
  ]);
  output.heading(`Audit trail (newest first${audit.nextCursor ? `, the latest ${audit.items.length}` : ''})`);
  output.table(audit.items, [
    { header: 'AT', value: (row) => row.at },
    { header: 'ACTOR', value: (row) => row.actor },
    { header: 'ACTION', value: (row) => row.action },
    { header: 'OPERATION', value: (row) => row.operationId },
    { header: 'DETAILS', value: (row) => row.details },
  ]);
}

/** `POST /v1/admin/licenses/{id}/actions`: `renew` may carry a period, `change-ip` carries the IP. */
type LicenseActionBody = { action: string; period?: number | 'lifetime'; ip?: string };

async function act(ctx: CommandContext, id: string, body: LicenseActionBody, wait?: boolean): Promise<void> {
  const queued = await ctx.api.post<Queued>(`/v1/admin/licenses/${segment(id)}/actions`, body);
  if (wait) {
    await waitAndReport(ctx.api, ctx.output, [queued.operationId], ctx.waitTimeoutMs);
    return;
  }
  if (ctx.output.json) ctx.output.printJson(queued);
  else ctx.output.line(`queued: operation ${queued.operationId} (license.${body.action}); --wait follows it`);
}
