import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryLogger } from './memory-logger.js';
import type { ParameterValue } from './node-api.js';
import { ParameterStore } from './parameters.js';

function store(overrides: Record<string, ParameterValue> = {}): ParameterStore {
  return new ParameterStore('/robot/ctrl', overrides, new MemoryLogger('test'));
}

describe('ParameterStore', () => {
  it('returns the default, or the override when one is given', () => {
    const params = store({ rate_hz: 50 });
    assert.equal(params.declare('rate_hz', 20), 50);
    assert.equal(params.declare('horizon', 15), 15);
    assert.equal(params.get('rate_hz'), 50);
    assert.deepEqual(params.names(), ['rate_hz', 'horizon']);
  });

  it('throws naming node and parameter when getting an undeclared parameter', () => {
    assert.throws(() => store().get('gain'), /parameter 'gain' of node '\/robot\/ctrl' is not declared/);
  });

  it('rejects declaring twice', () => {
    const params = store();
    params.declare('gain', 1);
    assert.throws(
      () => params.declare('gain', 2),
      /parameter 'gain' of node '\/robot\/ctrl' is already declared/,
    );
  });

  it('rejects an override of another type', () => {
    assert.throws(
      () => store({ rate_hz: '50' }).declare('rate_hz', 20),
      /parameter 'rate_hz' of node '\/robot\/ctrl': override expected number, got string "50"/,
    );
    assert.throws(
      () => store({ joints: [1, 2] }).declare('joints', ['a']),
      /expected string\[\], got number\[\]/,
    );
    assert.throws(() => store({ on: 1 }).declare('on', true), /expected boolean, got number/);
  });

  it('keeps the declared type on set', () => {
    const params = store();
    params.declare('name', 'cartpole');
    const r = params.set('name', 3);
    assert.equal(r.successful, false);
    assert.match(r.reason, /parameter 'name' of node '\/robot\/ctrl': expected string, got number 3/);
    assert.equal(params.get('name'), 'cartpole');
    assert.deepEqual(params.set('name', 'pendulum'), { successful: true, reason: '' });
    assert.equal(params.get('name'), 'pendulum');
  });

  it('lets an empty array default take the type of its first non-empty value', () => {
    const params = store({ joints: ['hip', 'knee'] });
    assert.deepEqual(params.declare('joints', [] as string[]), ['hip', 'knee']);
    assert.equal(params.set('joints', [1]).successful, false);
    assert.equal(params.set('joints', []).successful, true);
  });

  it('rejects mixed arrays and non-parameter values', () => {
    const params = store();
    params.declare('gains', [1, 2]);
    const mixed = [1, 'a'] as unknown as number[];
    assert.match(params.set('gains', mixed).reason, /not a boolean, number, string or homogeneous array/);
  });

  it('enforces inclusive ranges, steps and integers, for defaults, overrides and sets', () => {
    const params = store({ depth: 200 });
    assert.throws(
      () => params.declare('depth', 10, { range: { min: 1, max: 100 } }),
      /parameter 'depth' of node '\/robot\/ctrl': override 200 is outside the range \[1, 100\]/,
    );
    assert.throws(() => params.declare('alpha', 2, { range: { min: 0, max: 1 } }), /default 2 is outside/);
    params.declare('beta', 0.5, { range: { min: 0, max: 1 } });
    assert.equal(params.set('beta', 1).successful, true);
    assert.equal(params.set('beta', 0).successful, true);
    assert.match(params.set('beta', 1.01).reason, /1\.01 is outside the range \[0, 1\]/);
    params.declare('step', 0.2, { range: { min: 0, max: 1, step: 0.1 } });
    assert.equal(params.set('step', 0.7).successful, true);
    assert.equal(params.set('step', 0.75).successful, false);
    params.declare('particles', 20, { integer: true });
    assert.match(params.set('particles', 20.5).reason, /20\.5 is not an integer/);
    assert.match(params.set('particles', Number.NaN).reason, /NaN/);
    params.declare('limits', [0.5, 0.5], { range: { min: 0, max: 1 } });
    assert.match(params.set('limits', [0.5, 3]).reason, /3 is outside the range/);
  });

  it('rejects constraints that cannot apply', () => {
    assert.throws(
      () => store().declare('mode', 'mpc', { range: { min: 0, max: 1 } }),
      /parameter 'mode'.*range\/integer constraints need a number parameter/,
    );
    assert.throws(
      () => store().declare('x', 1, { range: { min: 2, max: 1 } }),
      /min 2 is greater than max 1/,
    );
  });

  it('refuses to set read-only parameters but accepts their overrides', () => {
    const params = store({ robot: 'cartpole' });
    assert.equal(params.declare('robot', 'none', { readOnly: true }), 'cartpole');
    const r = params.set('robot', 'arm');
    assert.deepEqual(r, {
      successful: false,
      reason: "parameter 'robot' of node '/robot/ctrl' is read-only",
    });
    assert.equal(params.get('robot'), 'cartpole');
  });

  it('reports setting an undeclared parameter', () => {
    const r = store().set('ghost', 1);
    assert.equal(r.successful, false);
    assert.match(r.reason, /parameter 'ghost' of node '\/robot\/ctrl' is not declared/);
  });

  it('calls change listeners after a successful set, until unsubscribed', () => {
    const logger = new MemoryLogger('test');
    const params = new ParameterStore('/n', {}, logger);
    params.declare('gain', 1, { range: { min: 0, max: 10 } });
    const seen: [string, ParameterValue][] = [];
    const off = params.onChange((name, value) => seen.push([name, value]));
    params.onChange(() => {
      throw new Error('listener bug');
    });
    params.set('gain', 2);
    params.set('gain', 20); // rejected: no notification
    off();
    params.set('gain', 3);
    assert.deepEqual(seen, [['gain', 2]]);
    assert.equal(logger.at('error').length, 2);
    assert.match(
      logger.at('error')[0].message,
      /listener for parameter 'gain' of node '\/n' threw: listener bug/,
    );
  });

  it('stores copies of arrays so callers cannot change them behind its back', () => {
    const params = store();
    const gains = [1, 2];
    params.declare('gains', gains);
    gains[0] = 99;
    (params.get('gains') as number[])[1] = 99;
    assert.deepEqual(params.get('gains'), [1, 2]);
  });

  it('lists overrides that nothing declared', () => {
    const params = store({ rate_hz: 10, rtae_hz: 20 });
    params.declare('rate_hz', 1);
    assert.deepEqual(params.unusedOverrides(), ['rtae_hz']);
  });
});
