import assert from 'node:assert/strict';
import { addMonthsUtc, formatDay, sameUtcMonth } from '../../src/sandbox/calendar';
import { SandboxClock } from '../../src/sandbox/clock';

describe('sandbox: calendar and clock', () => {
  it('adds calendar months in UTC, clamping the day to the month end', () => {
    const cases: [string, number, string][] = [
      ['2026-01-31', 1, '2026-02-28'],
      ['2028-01-31', 1, '2028-02-29'],
      ['2026-03-31', 1, '2026-04-30'],
      ['2026-12-15', 1, '2027-01-15'],
      ['2026-03-15', 12, '2027-03-15'],
      ['2028-02-29', 12, '2029-02-28'],
      ['2026-05-31', -3, '2026-02-28'],
    ];
    for (const [from, months, expected] of cases) {
      assert.equal(formatDay(addMonthsUtc(new Date(`${from}T12:34:56Z`), months)), expected, `${from} + ${months}`);
    }
    assert.equal(addMonthsUtc(new Date('2026-01-31T23:59:59.500Z'), 1).toISOString(), '2026-02-28T23:59:59.500Z');
  });

  it('compares calendar months in UTC', () => {
    assert.ok(sameUtcMonth(new Date('2026-03-01T00:00:00Z'), new Date('2026-03-31T23:59:59Z')));
    assert.ok(!sameUtcMonth(new Date('2026-03-31T23:59:59Z'), new Date('2026-04-01T00:00:00Z')));
    assert.ok(!sameUtcMonth(new Date('2025-03-10T00:00:00Z'), new Date('2026-03-10T00:00:00Z')));
  });

  it('runs from its start time, moves with advance and set, and resets to the start', () => {
    const start = new Date('2026-03-15T12:00:00Z');
    const clock = new SandboxClock(start);
    assert.ok(Math.abs(clock.now().getTime() - start.getTime()) < 1000);
    clock.advance(86_400_000);
    assert.equal(formatDay(clock.now()), '2026-03-16');
    clock.set(new Date('2030-01-01T00:00:00Z'));
    assert.equal(formatDay(clock.now()), '2030-01-01');
    assert.throws(() => clock.set(new Date('nonsense')));
    clock.reset();
    assert.equal(formatDay(clock.now()), '2026-03-15');
  });

  it('follows real time when no start time is given', () => {
    const clock = new SandboxClock(undefined);
    assert.ok(Math.abs(clock.now().getTime() - Date.now()) < 1000);
  });
});
