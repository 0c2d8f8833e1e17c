import type { LicensePeriod } from '../domain/period';
import { priceOf, type Money } from '../domain/prices';
import type { LifecycleDeps } from './lifecycle-deps';

/**
 * What one order or renewal of `priceList` for `period` costs now, by the licensing server's current `prices` (read
 * through the catalog cache: no query per operation); null when no price is known.
 */
export async function priceNow(
  deps: Pick<LifecycleDeps, 'licensingServers'>,
  licensingServer: string,
  priceList: string,
  period: LicensePeriod,
): Promise<Money | null> {
  const server = await deps.licensingServers.get(licensingServer);
  return priceOf(server?.prices, priceList, period);
}
