import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from './rng.js';

test('same seed gives the same stream bit for bit; different seeds differ', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const c = new Rng(43);
  const xs = Array.from({ length: 100 }, () => a.normal());
  const ys = Array.from({ length: 100 }, () => b.normal());
  const zs = Array.from({ length: 100 }, () => c.normal());
  assert.deepEqual(xs, ys);
  assert.notDeepEqual(xs, zs);
});

test('uniform lies in [0, 1) with mean near 1/2', () => {
  const rng = new Rng(7);
  let sum = 0;
  const n = 100_000;
  for (let i = 0; i < n; i++) {
    const u = rng.uniform();
    assert.ok(u >= 0 && u < 1);
    sum += u;
  }
  // Standard error of the mean is sqrt(1/12/n) ~ 0.0009; allow 5 sigma.
  assert.ok(Math.abs(sum / n - 0.5) < 0.0046, `mean ${sum / n}`);
});

test('normal has the requested mean and standard deviation', () => {
  const rng = new Rng(3);
  const n = 200_000;
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const x = rng.normal(2, 0.5);
    s += x;
    s2 += x * x;
  }
  const mean = s / n;
  const std = Math.sqrt(s2 / n - mean * mean);
  // SE(mean) = 0.5/sqrt(n) ~ 0.0011, SE(std) ~ 0.5/sqrt(2n) ~ 0.0008: 5 sigma bounds.
  assert.ok(Math.abs(mean - 2) < 0.006, `mean ${mean}`);
  assert.ok(Math.abs(std - 0.5) < 0.004, `std ${std}`);
});

test('integer covers its range uniformly', () => {
  const rng = new Rng(11);
  const counts = new Array<number>(5).fill(0);
  for (let i = 0; i < 50_000; i++) counts[rng.integer(5)]++;
  for (const c of counts) assert.ok(Math.abs(c - 10_000) < 500, `counts ${counts.join(',')}`);
  assert.throws(() => rng.integer(0), /positive integer/);
});

test('fork gives a reproducible independent stream', () => {
  const a = new Rng(5).fork();
  const b = new Rng(5).fork();
  assert.equal(a.nextUint32(), b.nextUint32());
  assert.notEqual(new Rng(5).fork().nextUint32(), new Rng(5).nextUint32());
});

test('permutation contains every index once and depends on the seed', () => {
  const p = new Rng(1).permutation(100);
  assert.deepEqual(
    Array.from(p).sort((a, b) => a - b),
    Array.from({ length: 100 }, (_, i) => i),
  );
  assert.notDeepEqual(Array.from(p), Array.from(new Rng(2).permutation(100)));
  assert.notDeepEqual(
    Array.from(p),
    Array.from({ length: 100 }, (_, i) => i),
  );
});
