import type {
  LicenseRef,
  LicensingServerModule,
  ModuleLogger,
  OrderParams,
  OrderResult,
  UpstreamLicense,
} from '../../src/domain/licensing-module';
import { isPeriod, type Period } from '../../src/domain/period';
import {
  ModuleConfigurationError,
  UpstreamError,
  UpstreamNotFoundError,
  UpstreamProtocolError,
} from '../../src/domain/upstream-errors';
import type { BillmanagerApiClient, CallParams } from './api-client';
import type { BillmanagerSettings } from './config';
import { toUpstreamLicense } from './license-record';
import type { BillmanagerReply } from './xml-reply';

/**
 * The meaning half of the `billmanager` module: each contract operation as BILLmanager calls
 * (see `docs/billmanager-api.md`). Transport, auth and error documents are the {@link BillmanagerApiClient}'s job.
 */
export class BillmanagerModule implements LicensingServerModule {
  constructor(
    private readonly client: BillmanagerApiClient,
    private readonly settings: BillmanagerSettings,
    private readonly logger: ModuleLogger,
  ) {}

  /** Lists the licenses (`func=soft`): one real authenticated call. */
  async checkConnection(): Promise<void> {
    await this.readList();
  }

  /**
   * `soft.order.param … autoprolong=null&skipbasket=on&sok=ok&clicked_button=finish` → `/doc/id`; a success reply
   * without an id is a protocol error.
   *
   * `autoprolong=null` is sent explicitly: renewals are ours alone (a pooled license must never renew itself, and
   * nothing may be paid twice). ISPsystem's reseller API documents `autoprolong` on `soft.order.param` as
   * `1` / `12` (auto-renew monthly / yearly, set at order) or `null` ("without auto-renewal"): "Reselling of
   * ISPmanager 5 licenses via API" (docs.ispsystem.com/billmanager/reselling/reselling-via-api/) and
   * ispmanager.com/docs/for-partners/reselling-of-ispmanager-licenses-via-api. Left out, the account's default
   * applies, which a reseller cannot see from here.
   */
  async order(params: OrderParams): Promise<OrderResult> {
    const reply = await this.client.call('soft.order.param', {
      pricelist: params.priceList,
      period: this.periodCode(params.period),
      ip: params.ip,
      licname: params.name,
      remoteid: params.reference,
      autoprolong: 'null',
      skipbasket: 'on',
      sok: 'ok',
      clicked_button: 'finish',
    });
    const upstreamId = reply.fields.id?.trim();
    if (!upstreamId || !/^\d{1,18}$/.test(upstreamId)) {
      throw new UpstreamProtocolError('Unreadable reply from the licensing server to soft.order.param: no <id>');
    }
    this.logger.info({ upstreamId, reference: params.reference }, 'billmanager: license ordered');
    return { upstreamId };
  }

  /** `soft.edit&elid=…` read; `UpstreamNotFoundError` when the upstream does not know the license. */
  async get({ upstreamId }: LicenseRef): Promise<UpstreamLicense> {
    const reply = await this.client.call('soft.edit', { elid: upstreamId });
    return toUpstreamLicense(reply.fields, 'soft.edit', upstreamId);
  }

  /**
   * `func=soft`: every license, deleted ones included, without activation keys, in one reply capped by
   * `listMaxResponseBytes` (BILLmanager documents no paging for its lists).
   */
  async list(): Promise<UpstreamLicense[]> {
    const reply = await this.readList();
    return reply.elems.map((fields) => ({ ...toUpstreamLicense(fields, 'soft'), activationKey: null }));
  }

  /**
   * The license whose `remoteid` is the reference, read in full; deleted licenses are ignored. Null when no live
   * license carries it, i.e. the order with that reference never went through.
   */
  async findByReference({ reference }: { reference: string }): Promise<UpstreamLicense | null> {
    const candidates = (await this.list()).filter((license) => isLive(license) && license.reference === reference);
    if (candidates.length > 1) {
      this.logger.warn({ reference, count: candidates.length }, 'billmanager: several licenses carry one reference');
    }
    for (const candidate of candidates) {
      const license = await this.getUnlessGone(candidate.upstreamId);
      if (license !== null && isLive(license)) return license;
    }
    return null;
  }

  /**
   * `soft.edit&elid=…&ip=…&licname=…&sok=ok`: BILLmanager's edit form takes either field or both in one write
   * (docs/billmanager-api.md). A call with neither would be a read, so it is refused here before anything is sent.
   */
  async edit({ upstreamId, ip, name }: LicenseRef & { ip?: string; name?: string }): Promise<void> {
    if (ip === undefined && name === undefined) {
      throw new ModuleConfigurationError('soft.edit needs an ip or a licname to write: nothing to change was given');
    }
    await this.perform('soft.edit', {
      elid: upstreamId,
      ...(ip !== undefined ? { ip } : {}),
      ...(name !== undefined ? { licname: name } : {}),
      sok: 'ok',
    });
  }

  /** `soft.edit&elid=…&ip=…&sok=ok`. */
  async changeIp({ upstreamId, ip }: LicenseRef & { ip: string }): Promise<void> {
    await this.edit({ upstreamId, ip });
  }

  /** `soft.edit&elid=…&licname=…&sok=ok`. */
  async rename({ upstreamId, name }: LicenseRef & { name: string }): Promise<void> {
    await this.edit({ upstreamId, name });
  }

  /**
   * `soft.edit&elid=…&clicked_button=newkey&sok=ok`, then a read for the new key (the reply carries none). The key
   * is regenerated once the first call succeeds, so a failed read-back does not fail the operation: it gives
   * `license: null` and `activationKey: null`.
   */
  async regenerateKey({
    upstreamId,
  }: LicenseRef): Promise<{ activationKey: string | null; license: UpstreamLicense | null }> {
    await this.perform('soft.edit', { elid: upstreamId, clicked_button: 'newkey', sok: 'ok' });
    try {
      const license = await this.get({ upstreamId });
      return { activationKey: license.activationKey, license };
    } catch (error) {
      if (!(error instanceof UpstreamError)) throw error;
      this.logger.warn({ upstreamId, error: error.name }, 'billmanager: new key not read back');
      return { activationKey: null, license: null };
    }
  }

  /** `service.prolong&elid=…&period=CODE&sok=ok` (pays for one more period). */
  async prolong({ upstreamId, period }: LicenseRef & { period: Period }): Promise<void> {
    await this.perform('service.prolong', { elid: upstreamId, period: this.periodCode(period), sok: 'ok' });
  }

  /** `soft.suspend&elid=…`. */
  async suspend({ upstreamId }: LicenseRef): Promise<void> {
    await this.perform('soft.suspend', { elid: upstreamId });
  }

  /** `soft.resume&elid=…`. */
  async resume({ upstreamId }: LicenseRef): Promise<void> {
    await this.perform('soft.resume', { elid: upstreamId });
  }

  /** `soft.delete&elid=…&sok=ok`. */
  async remove({ upstreamId }: LicenseRef): Promise<void> {
    await this.perform('soft.delete', { elid: upstreamId, sok: 'ok' });
  }

  private readList(): Promise<BillmanagerReply> {
    return this.client.call('soft', {}, { maxResponseBytes: this.settings.listMaxResponseBytes });
  }

  /** A change that must answer `<ok/>`: any other success-shaped reply may mean it was not done. */
  private async perform(func: string, params: CallParams): Promise<BillmanagerReply> {
    const reply = await this.client.call(func, params);
    if (!reply.ok) throw new UpstreamProtocolError(`Unreadable reply from the licensing server to ${func}: no <ok/>`);
    return reply;
  }

  private async getUnlessGone(upstreamId: string): Promise<UpstreamLicense | null> {
    try {
      return await this.get({ upstreamId });
    } catch (error) {
      if (error instanceof UpstreamNotFoundError) return null;
      throw error;
    }
  }

  /**
   * Months as the number; `lifetime` and `trial` as the configured upstream codes. `trial` is accepted here already
   * so that a trial order (SPEC.md "Trials") needs no change in this module once the contract's period admits it.
   */
  private periodCode(period: Period | 'trial'): string {
    if (period !== 'trial' && !isPeriod(period)) {
      throw new ModuleConfigurationError(`Period ${String(period)} is neither a whole number of months nor lifetime`);
    }
    if (period !== 'lifetime' && period !== 'trial') return String(period);
    const code = this.settings.periodCodes[period];
    if (code === undefined) {
      throw new ModuleConfigurationError(
        `The billmanager setting periodCodes.${period} is not configured: the upstream code for ${period} is unknown`,
      );
    }
    return String(code);
  }
}

function isLive(license: UpstreamLicense): boolean {
  return license.status !== 'deleted';
}
