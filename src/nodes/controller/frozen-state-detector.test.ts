import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrozenStateDetector } from './frozen-state-detector.js';

const s = (...v: number[]) => Float64Array.from(v);

test('a state bit-identical for the timeout while driven is frozen, until it changes', () => {
  const d = new FrozenStateDetector(0.5, 2);
  assert.equal(d.update(s(1, 2), 0, true), false, 'the first state is only a reference');
  // Evidence starts at the first unchanged tick; 0.5 s later it trips.
  for (let k = 1; k <= 10; k++) assert.equal(d.update(s(1, 2), 0.05 * k, true), false, `tick ${k}`);
  assert.equal(d.update(s(1, 2), 0.55, true), true);
  assert.equal(d.trips, 1);
  // Latched: the safe action (zero) that follows is no reason to trust the same values again.
  assert.equal(d.update(s(1, 2), 0.6, false), true);
  assert.equal(d.update(s(1, 2), 5, false), true);
  // One changed bit clears it.
  assert.equal(d.update(s(1, 2 + Number.EPSILON * 2), 5.05, true), false);
  assert.equal(d.frozen, false);
  assert.equal(d.trips, 1);
});

test('unchanged state with zero commands is no evidence (a robot at rest on a noiseless encoder)', () => {
  const d = new FrozenStateDetector(0.5, 2);
  for (let k = 0; k <= 100; k++) assert.equal(d.update(s(0, 0), 0.05 * k, false), false);
  // Driving again starts the evidence afresh: no trip from the idle time before.
  assert.equal(d.update(s(0, 0), 5.1, true), false);
  assert.equal(d.update(s(0, 0), 5.5, true), false);
  assert.equal(d.update(s(0, 0), 5.7, true), true);
  // A zero command while the evidence builds resets it.
  const e = new FrozenStateDetector(0.5, 1);
  e.update(s(3), 0, true);
  e.update(s(3), 0.05, true);
  e.update(s(3), 0.4, false);
  assert.equal(e.update(s(3), 0.6, true), false);
  assert.equal(e.unchangedFor(0.6), 0);
});

test('states that change, even in the last bit or only in sign of zero, are never frozen', () => {
  const d = new FrozenStateDetector(0.2, 1);
  for (let k = 0; k < 100; k++) {
    const x = k % 2 === 0 ? 1 : 1 + Number.EPSILON;
    assert.equal(d.update(s(x), 0.05 * k, true), false);
  }
  const z = new FrozenStateDetector(0.2, 1);
  for (let k = 0; k < 20; k++) assert.equal(z.update(s(k % 2 === 0 ? 0 : -0), 0.05 * k, true), false);
});

test('a timeout of 0 turns the detector off; negative timeouts are refused', () => {
  const d = new FrozenStateDetector(0, 1);
  assert.equal(d.enabled, false);
  for (let k = 0; k < 100; k++) assert.equal(d.update(s(7), k, true), false);
  assert.throws(() => new FrozenStateDetector(-1, 1), /frozen timeout must be >= 0/);
  assert.throws(() => new FrozenStateDetector(Number.NaN, 1), /frozen timeout must be >= 0/);
});

test('reset forgets the reference, the evidence and a trip', () => {
  const d = new FrozenStateDetector(0.1, 1);
  d.update(s(1), 0, true);
  d.update(s(1), 0.05, true);
  assert.equal(d.update(s(1), 0.2, true), true);
  d.reset();
  assert.equal(d.update(s(1), 0.25, true), false, 'a reference again, not a comparison');
  assert.equal(d.update(s(1), 0.3, true), false);
  assert.equal(d.update(s(1), 0.45, true), true);
});
