import assert from 'node:assert/strict';
import { SharedRefresh } from '../../src/metrics/shared-refresh';

/** A read that ends when the test says so, counting how often it was started. */
function controlledRead() {
  const pending: Array<{ resolve: (value: number) => void; reject: (error: Error) => void }> = [];
  return {
    pending,
    read: () => new Promise<number>((resolve, reject) => pending.push({ resolve, reject })),
  };
}

describe('SharedRefresh (the cache of the state gauges)', () => {
  it('lets callers that arrive during a read wait for it instead of starting their own', async () => {
    const { pending, read } = controlledRead();
    const refresh = new SharedRefresh(read, 0);
    const first = refresh.get();
    const second = refresh.get();
    assert.equal(pending.length, 1);
    pending[0]!.resolve(7);
    assert.deepEqual(await Promise.all([first, second]), [7, 7]);
  });

  it('serves the last read for maxAgeMs, then reads again', async () => {
    let now = 1000;
    const { pending, read } = controlledRead();
    const refresh = new SharedRefresh(read, 5000, () => now);
    const first = refresh.get();
    pending[0]!.resolve(1);
    assert.equal(await first, 1);
    now += 4999;
    assert.equal(await refresh.get(), 1);
    assert.equal(pending.length, 1, 'no second read within maxAgeMs');
    now += 1;
    const third = refresh.get();
    assert.equal(pending.length, 2);
    pending[1]!.resolve(2);
    assert.equal(await third, 2);
  });

  it('keeps no failed read: the next caller reads again', async () => {
    const { pending, read } = controlledRead();
    const refresh = new SharedRefresh(read, 60_000);
    const failed = refresh.get();
    pending[0]!.reject(new Error('database down'));
    await assert.rejects(failed, /database down/);
    const retried = refresh.get();
    assert.equal(pending.length, 2);
    pending[1]!.resolve(3);
    assert.equal(await retried, 3);
  });
});
