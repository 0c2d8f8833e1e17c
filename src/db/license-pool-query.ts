import type { Knex } from 'knex';
import type { PoolEligibility } from '../domain/pool-eligibility';

/**
 * The one query of pool eligibility (the rule is `poolEligibility` in `domain/`). A pooled license a reconciliation
 * found deleted upstream stays pooled until a person acts, but can serve no one.
 */
export function whereEligible(query: Knex.QueryBuilder, rule: PoolEligibility, ip?: string): Knex.QueryBuilder {
  return query
    .where({ state: 'pooled' })
    .whereNot({ status: 'deleted' })
    .where('paid_until', '>', rule.paidAfter.toISOString())
    .where((q) => {
      q.whereNull('ip_changed_at').orWhere('ip_changed_at', '<', rule.ipChangeCutoff.toISOString());
      if (ip !== undefined) q.orWhere('ip', ip);
    })
    .where((q) => q.whereNull('key_regenerated_at').orWhere('key_regenerated_at', '<=', rule.keyCutoff.toISOString()));
}
