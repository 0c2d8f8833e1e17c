/** The operation that adopts one live upstream license into the pool (CONTRACT.md "Reconciliation and adoption"). */
export const ADOPT_EVENT = 'license.adopt';
export type AdoptEvent = typeof ADOPT_EVENT;

/** What an adoption was asked for, fixed when it is asked: the license's id is ours from the start. */
export interface AdoptRequest {
  kind: 'adopt';
  licensingServer: string;
  /** The upstream's id of the license. */
  upstreamId: string;
  /** Our id of the license it becomes. */
  licenseId: string;
}
