import type { ApiClient } from './api-client';
import type { EnumerationItem } from '../admin-api/shapes';
import { itemsOr } from './page-kit';

/** Price list → the enumeration value names that use it ("ISPmanager Lite"), for the "software" column. */
export class SoftwareNames {
  constructor(private readonly byPriceList: ReadonlyMap<string, string[]>) {}

  static async load(api: ApiClient): Promise<SoftwareNames> {
    const answer = await api.get<{ items: EnumerationItem[] }>('/v1/admin/enumerations');
    return SoftwareNames.of(itemsOr(answer) ?? []);
  }

  static of(enumerations: readonly EnumerationItem[]): SoftwareNames {
    const byPriceList = new Map<string, string[]>();
    for (const value of enumerations.flatMap((e) => e.values)) {
      if (value.internalName === 'nopanel') continue;
      const names = byPriceList.get(value.internalName) ?? [];
      if (!names.includes(value.name)) names.push(value.name);
      byPriceList.set(value.internalName, names);
    }
    return new SoftwareNames(byPriceList);
  }

  /** "3541 · ISPmanager Lite", or the bare price list when no value uses it. */
  label(priceList: string): string {
    const names = this.byPriceList.get(priceList);
    return names && names.length > 0 ? `${priceList} · ${names.join(' / ')}` : priceList;
  }

  /** Every known price list, for a filter's choices. */
  options(): Array<{ value: string; label: string }> {
    return [...this.byPriceList.keys()].sort().map((priceList) => ({ value: priceList, label: this.label(priceList) }));
  }
}
