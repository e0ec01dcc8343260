import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SimClock, SystemClock } from './clocks.js';

describe('clocks', () => {
  it('SystemClock follows wall time', () => {
    const clock = new SystemClock();
    assert.equal(clock.type, 'system');
    assert.equal(clock.isSimTime, false);
    assert.ok(Math.abs(clock.nowSeconds() - Date.now() / 1000) < 1);
    const t = clock.now();
    assert.ok(Number.isInteger(t.sec) && t.nanosec >= 0 && t.nanosec < 1e9);
  });

  it('SimClock reads zero until set, then the /clock time', () => {
    const clock = new SimClock();
    assert.equal(clock.type, 'ros');
    assert.equal(clock.isSimTime, true);
    assert.equal(clock.isSet(), false);
    assert.deepEqual(clock.now(), { sec: 0, nanosec: 0 });
    assert.equal(clock.nowSeconds(), 0);
    const stamp = { sec: 12, nanosec: 500_000_000 };
    clock.set(stamp);
    stamp.sec = 99; // the clock keeps its own copy
    assert.equal(clock.isSet(), true);
    assert.deepEqual(clock.now(), { sec: 12, nanosec: 500_000_000 });
    assert.equal(clock.nowSeconds(), 12.5);
    assert.equal(clock.nowNanoseconds(), 12_500_000_000n);
  });
});
