import crypto from 'node:crypto';
import { Argument, InvalidArgumentError, type Command } from 'commander';
import { HOOK_EVENTS } from '../../domain/lifecycle';
import { signPayload } from '../../platform/signature';
import { UsageError } from './cli-errors';
import { collect, contextOf, segment, type CommandContext } from './context';
import { waitAndReport, type Queued } from './operations-wait';

/** The service facts a hook may carry (CONTRACT.md "Hooks"); `period` is a number of months or "lifetime". */
const SERVICE_FIELDS = ['name', 'ip', 'tariffPlan', 'period', 'paidUntil', 'controlPanel'];

interface HookOptions {
  service: string;
  field?: string[];
  eventId?: string;
  wait: boolean;
}

export function registerHookCommand(program: Command): void {
  program
    .command('hook')
    .description(
      'send a platform hook signed with PLM_HOOK_SECRET, as the hosting platform does, and wait for its operation',
    )
    .addArgument(new Argument('<event>', 'the hook event').choices(HOOK_EVENTS))
    .requiredOption('--service <id>', 'the service id')
    .option(
      '--field <key=value>',
      `a service fact (repeatable): ${SERVICE_FIELDS.join(', ')}`,
      (value: string, previous: string[] | undefined) => collect(checkField(value), previous),
    )
    .option('--event-id <id>', 'the idempotency key (default: a new one each time)')
    .option('--no-wait', 'do not wait for the operation')
    .addHelpText(
      'after',
      '\nExample:\n  plm hook open --service vps-42 --field ip=203.0.113.10 --field tariffPlan=vps-monthly \\\n' +
        '    --field period=1 --field paidUntil=2026-12-22T00:00:00Z --field controlPanel=ispmanager-lite',
    )
    .action(async (event: string, options: HookOptions, command: Command) =>
      sendHook(contextOf(command), event, options),
    );
}

function checkField(value: string): string {
  const at = value.indexOf('=');
  const key = at > 0 ? value.slice(0, at) : '';
  if (!SERVICE_FIELDS.includes(key))
    throw new InvalidArgumentError(`expected key=value with key one of ${SERVICE_FIELDS.join(', ')}`);
  return value;
}

/** The hook body: `{eventId, service: {id, …fields}}`, with `period` as a number when it is one. */
export function hookBody(eventId: string, serviceId: string, fields: readonly string[]): string {
  const service: Record<string, string | number> = { id: serviceId };
  for (const field of fields) {
    const at = field.indexOf('=');
    const key = field.slice(0, at);
    const value = field.slice(at + 1);
    service[key] = key === 'period' && /^\d+$/.test(value) ? Number(value) : value;
  }
  return JSON.stringify({ eventId, service });
}

async function sendHook(ctx: CommandContext, event: string, options: HookOptions): Promise<void> {
  const secret = process.env.PLM_HOOK_SECRET;
  if (!secret)
    throw new UsageError(
      "no hook secret: set PLM_HOOK_SECRET to the service's hooks.secret",
      'in development it is "hookSecret" in var/secrets.json; otherwise HOOK_SECRET of the service',
    );
  if (options.wait) ctx.api.requireToken(); // waiting reads the operation: fail before anything is sent
  const body = hookBody(options.eventId ?? `plm-${crypto.randomUUID()}`, options.service, options.field ?? []);
  const answer = await ctx.api.request<Queued>('POST', `/v1/hooks/${segment(event)}`, {
    rawBody: body,
    authenticated: false,
    headers: { 'content-type': 'application/json', 'x-signature': signPayload(secret, body) },
  });
  if (options.wait) {
    await waitAndReport(ctx.api, ctx.output, [answer.operationId], ctx.waitTimeoutMs);
    return;
  }
  if (ctx.output.json) ctx.output.printJson(answer);
  else ctx.output.line(`accepted: operation ${answer.operationId} (${answer.status})`);
}
