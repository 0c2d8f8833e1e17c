import type { UpstreamLicense } from '../domain/licensing-module';
import type { DriftFinding, DriftStore, HeldLicenseFacts, ReconcileRun } from '../db/drift-store';
import { classifyError } from '../error-classification';
import type { LifecycleDeps } from './lifecycle-deps';
import { outcomeOf } from './observed-module';

/** Who a reconciliation's license moves are made by, in the audit trail. */
const RECONCILER = 'reconciler';

export type ReconcileDeps = Pick<
  LifecycleDeps,
  'licenses' | 'upstreamActions' | 'modules' | 'alertSignals' | 'logger' | 'now'
> & {
  drift: DriftStore;
};

/**
 * One reconciliation of one licensing server (CONTRACT.md "Reconciliation and adoption"): reads the upstream's
 * license list once, compares it with the licenses we hold in one pass (maps by upstream id), takes the upstream's
 * paid-until and status of the licenses we hold (audited `license.synced`, actor `reconciler`), and replaces the
 * server's drift with what it found. It only reads upstream: it never orders, renews, suspends or deletes.
 *
 * A list that cannot be read fails the run (its error and time are kept with the run) and leaves the previous drift.
 *
 * Orders in flight are not drift. The race: an operation orders a license upstream and records it (`license.ordered`)
 * only when the reply is back, so a list read in between shows a license we do not hold yet; and a license recorded
 * after the list was read is absent from it. Three rules close it:
 * - the upstream list is read FIRST and our licenses after it, so every license the list shows that we had
 *   recorded by then is seen;
 * - an upstream license that carries one of our order references (the checkpoint `upstream_actions` row is written
 *   before the paid call) is ours, in flight, never `unknown_upstream`;
 * - a license held `reserved` by a running operation, or recorded or changed after the list was read (a renewal
 *   read back meanwhile, say), is not judged at all: the list's older word must not overwrite it (the operation
 *   settles it; the next run sees it).
 */
export async function reconcileServer(deps: ReconcileDeps, run: ReconcileRun): Promise<ReconcileRun> {
  if (!(await deps.drift.startRun(run.id))) return (await deps.drift.getRun(run.id)) ?? run;
  const log = deps.logger.child({ licensingServer: run.licensingServer, runId: run.id });
  let upstream: UpstreamLicense[];
  const listedAt = deps.now();
  try {
    upstream = await (await deps.modules.forServer(run.licensingServer)).list();
  } catch (error) {
    const verdict = classifyError(error);
    await deps.drift.failRun(run.id, { code: verdict.code, message: verdict.message }, deps.now());
    log.warn({ code: verdict.code }, 'reconciliation could not read the upstream license list; previous drift kept');
    // A whole run without an answer is no passing blip: the server counts as unreachable at once.
    if (outcomeOf(error) === 'unreachable') await deps.alertSignals.serverUnreachable(run.licensingServer, 'list');
    return (await deps.drift.getRun(run.id))!;
  }
  const held = await deps.drift.heldLicenses(run.licensingServer);
  const findings = await compare(deps, upstream, held, listedAt);
  await deps.drift.replaceDrift(run, findings, deps.now());
  log.info({ upstream: upstream.length, held: held.length, drift: findings.length }, 'reconciliation done');
  return (await deps.drift.getRun(run.id))!;
}

async function compare(
  deps: ReconcileDeps,
  upstream: readonly UpstreamLicense[],
  held: readonly HeldLicenseFacts[],
  listedAt: Date,
): Promise<DriftFinding[]> {
  const upstreamById = new Map(upstream.map((license) => [license.upstreamId, license]));
  const heldByUpstreamId = new Map(held.map((license) => [license.upstreamId, license]));
  const findings: DriftFinding[] = [];
  for (const license of held) {
    if (!isJudged(license, listedAt)) continue;
    findings.push(...(await compareHeld(deps, license, upstreamById.get(license.upstreamId))));
  }
  for (const license of upstream) {
    if (license.status === 'deleted' || heldByUpstreamId.has(license.upstreamId)) continue;
    if (license.reference && (await deps.upstreamActions.getByReference(license.reference))) continue;
    findings.push({
      kind: 'unknown_upstream',
      upstreamId: license.upstreamId,
      licenseId: null,
      serviceId: null,
      field: null,
      local: null,
      upstream: {
        priceList: license.priceList,
        ip: license.ip,
        name: license.name,
        status: license.status,
        paidUntil: license.paidUntil?.toISOString() ?? null,
      },
    });
  }
  return findings;
}

/** Bound and pooled licenses recorded before the list was read, and not held by a running operation. */
function isJudged(license: HeldLicenseFacts, listedAt: Date): boolean {
  return (
    (license.state === 'bound' || license.state === 'pooled') &&
    license.operationId === null &&
    new Date(license.createdAt) < listedAt &&
    new Date(license.updatedAt) < listedAt
  );
}

/** One license we hold against the upstream's word: synced at once, and what is left reported. */
async function compareHeld(
  deps: ReconcileDeps,
  license: HeldLicenseFacts,
  upstream: UpstreamLicense | undefined,
): Promise<DriftFinding[]> {
  const by = { actor: RECONCILER, at: deps.now() };
  const item = (rest: Pick<DriftFinding, 'kind' | 'field' | 'local' | 'upstream'>): DriftFinding => ({
    upstreamId: license.upstreamId,
    licenseId: license.id,
    serviceId: license.serviceId,
    ...rest,
  });
  if (!upstream || upstream.status === 'deleted') {
    // Its status only: it stays bound or pooled where it was until a person acts (e.g. `provide`).
    await deps.licenses.synced(license.id, { status: 'deleted' }, by);
    return [
      item({ kind: 'missing_upstream', field: null, local: license.status, upstream: upstream ? 'deleted' : null }),
    ];
  }
  const takesStatus = upstream.status === 'active' || upstream.status === 'suspended';
  await deps.licenses.synced(
    license.id,
    { paidUntil: upstream.paidUntil, ...(takesStatus ? { status: upstream.status } : {}) },
    by,
  );
  const findings: DriftFinding[] = [];
  if ((upstream.ip ?? null) !== license.ip)
    findings.push(item({ kind: 'mismatch', field: 'ip', local: license.ip, upstream: upstream.ip }));
  if (upstream.priceList !== license.priceList)
    findings.push(
      item({ kind: 'mismatch', field: 'priceList', local: license.priceList, upstream: upstream.priceList }),
    );
  if (license.state !== 'bound') return findings;
  const servicePaidUntil = license.servicePaidUntil;
  if (servicePaidUntil && (!upstream.paidUntil || upstream.paidUntil < servicePaidUntil))
    findings.push(
      item({
        kind: 'mismatch',
        field: 'paidUntil',
        local: servicePaidUntil.toISOString(),
        upstream: upstream.paidUntil?.toISOString() ?? null,
      }),
    );
  if (upstream.status === 'suspended' && license.serviceStatus === 'active')
    findings.push(item({ kind: 'mismatch', field: 'status', local: 'active', upstream: 'suspended' }));
  return findings;
}

/** Runs every licensing server's reconciliation (the schedule's job). */
export async function reconcileAll(
  deps: ReconcileDeps & { licensingServers: { list(): Promise<Array<{ key: string }>> } },
  requestedBy: string,
): Promise<ReconcileRun[]> {
  const runs: ReconcileRun[] = [];
  for (const server of await deps.licensingServers.list()) {
    const run = await deps.drift.createRun({ licensingServer: server.key, requestedBy }, deps.now());
    runs.push(await reconcileServer(deps, run));
  }
  return runs;
}
