import assert from 'node:assert/strict';
import {
  alertChannels,
  balanceRefusedDraft,
  driftDraft,
  escalationsDue,
  licenseLapsedWhileServicePaid,
  moreSevere,
  renewalFailingDraft,
  renewalKeepsFailing,
  renewalNoLongerNeeded,
  retryDue,
  type RenewalFacts,
} from '../../src/domain/alert-rules';
import { subjectKey } from '../../src/domain/alerts';

const HOUR = 3_600_000;
const at = (iso: string) => new Date(iso);

describe('alert rules (SPEC.md "Alerts and escalation")', () => {
  it('escalates once per threshold passed since the alert opened', () => {
    const opened = at('2026-12-02T00:00:00Z');
    const due = (hours: number) => escalationsDue(opened, new Date(opened.getTime() + hours * HOUR), [12, 24, 36]);
    assert.deepEqual([0, 11.99, 12, 23, 24, 36, 100].map(due), [0, 0, 1, 1, 2, 3, 3]);
  });

  it('retries and probes once `everyMs` has passed since the last try', () => {
    const last = at('2026-12-02T00:00:00Z');
    assert.equal(retryDue(last, new Date(last.getTime() + HOUR - 1), HOUR), false);
    assert.equal(retryDue(last, new Date(last.getTime() + HOUR), HOUR), true);
  });

  const facts = (overrides: Partial<RenewalFacts> = {}): RenewalFacts => ({
    serviceStatus: 'active',
    servicePaidUntil: at('2027-06-01T00:00:00Z'),
    licensePaidUntil: at('2027-01-01T00:00:00Z'),
    ...overrides,
  });

  it('is critical when the license has lapsed while the service is paid, not before, not for an unpaid service', () => {
    assert.equal(licenseLapsedWhileServicePaid(facts(), at('2026-12-31T00:00:00Z')), false);
    assert.equal(licenseLapsedWhileServicePaid(facts(), at('2027-01-02T00:00:00Z')), true);
    assert.equal(licenseLapsedWhileServicePaid(facts(), at('2027-07-01T00:00:00Z')), false, 'service unpaid too');
    const draft = renewalFailingDraft({ licenseId: 'l', serviceId: 's' }, null, facts(), at('2027-01-02T00:00:00Z'));
    assert.equal(draft.severity, 'critical');
  });

  it('stops caring about a renewal once the service is not active, lost its license, or is covered', () => {
    assert.equal(renewalNoLongerNeeded(facts()), false);
    assert.equal(renewalNoLongerNeeded(facts({ serviceStatus: 'suspended' })), true);
    assert.equal(renewalNoLongerNeeded(facts({ licensePaidUntil: null })), true);
    assert.equal(renewalNoLongerNeeded(facts({ licensePaidUntil: at('2027-06-01T00:00:00Z') })), true);
  });

  it('counts a renewal as failing once it ended failed, or is to be tried again after its third attempt', () => {
    assert.equal(renewalKeepsFailing('failed', 1), true, 'a refusal fails at once');
    assert.equal(renewalKeepsFailing('queued', 1), false, 'one transient 5xx');
    assert.equal(renewalKeepsFailing('waiting', 2), false);
    assert.equal(renewalKeepsFailing('queued', 3), true);
  });

  it('names the channels the configuration sets', () => {
    const email = { url: 'smtp://mail.example.net', from: 'a@example.net', to: ['b@example.net'] };
    assert.deepEqual(alertChannels({}), []);
    assert.deepEqual(alertChannels({ webhookUrl: 'https://hooks.example.net/a' }), ['webhook']);
    assert.deepEqual(alertChannels({ webhookUrl: 'https://hooks.example.net/a', email }), ['webhook', 'email']);
  });

  it('keys a balance refusal by its licensing server, not by the operations it gathers', () => {
    const a = balanceRefusedDraft('isp', 'op-1');
    const b = balanceRefusedDraft('isp', 'op-2');
    assert.equal(a.severity, 'critical');
    assert.equal(subjectKey(a.subject), subjectKey(b.subject));
    assert.notEqual(subjectKey(a.subject), subjectKey(balanceRefusedDraft('other', 'op-1').subject));
  });

  it('raises severity, never lowers it; drift messages count per kind', () => {
    assert.equal(moreSevere('warning', 'critical'), 'critical');
    assert.equal(moreSevere('critical', 'info'), 'critical');
    assert.match(driftDraft('isp', { mismatch: 2, unknown_upstream: 1 }).message, /2 mismatch, 1 unknown_upstream/);
  });
});
