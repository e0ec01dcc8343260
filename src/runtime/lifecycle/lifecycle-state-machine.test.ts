import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LifecycleTransition } from '../node-api.js';
import { LifecycleStateMachine } from './lifecycle-state-machine.js';
import { LifecycleTransitionFailure } from './lifecycle-transition-failure.js';

test('only the transitions of the managed-node design are valid from each state', () => {
  const machine = new LifecycleStateMachine('/n', {});
  assert.deepEqual(machine.available(), ['configure', 'shutdown']);
  machine.trigger('configure');
  assert.deepEqual(machine.available(), ['activate', 'cleanup', 'shutdown']);
  machine.trigger('activate');
  assert.deepEqual(machine.available(), ['deactivate', 'shutdown']);
  machine.trigger('shutdown');
  assert.equal(machine.state, 'finalized');
  assert.deepEqual(machine.available(), []);
  const late = machine.trigger('configure');
  assert.equal(late.successful, false);
  assert.match(late.reason, /not valid from state 'finalized'/);
});

test('an invalid transition runs no handler and names node, transition and state', () => {
  let ran = false;
  const machine = new LifecycleStateMachine('/robot/controller', { onDeactivate: () => (ran = true) });
  const result = machine.trigger('deactivate');
  assert.equal(ran, false);
  assert.equal(result.successful, false);
  assert.match(
    result.reason,
    /'deactivate' of node '\/robot\/controller' is not valid from state 'unconfigured'/,
  );
});

test('shutdown runs from every primary state and tells the handler which', () => {
  const paths: LifecycleTransition[][] = [[], ['configure'], ['configure', 'activate']];
  const seen: string[] = [];
  for (const path of paths) {
    const machine = new LifecycleStateMachine('/n', { onShutdown: (from) => seen.push(from) });
    for (const t of path) assert.equal(machine.trigger(t).successful, true);
    assert.equal(machine.trigger('shutdown').state, 'finalized');
  }
  assert.deepEqual(seen, ['unconfigured', 'inactive', 'active']);
});

test('FAILURE keeps the start state; ERROR goes to unconfigured, or finalized when onError throws', () => {
  const failing = new LifecycleStateMachine('/n', {
    onActivate: () => {
      throw new LifecycleTransitionFailure('port busy');
    },
  });
  failing.trigger('configure');
  const refused = failing.trigger('activate');
  assert.deepEqual([refused.successful, refused.state], [false, 'inactive']);
  assert.match(refused.reason, /failed: port busy/);

  const recovering = new LifecycleStateMachine('/n', {
    onActivate: () => {
      throw new Error('boom');
    },
    onError: () => undefined,
  });
  recovering.trigger('configure');
  assert.equal(recovering.trigger('activate').state, 'unconfigured');

  const fatal = new LifecycleStateMachine('/n', {
    onActivate: () => {
      throw new Error('boom');
    },
    onError: () => {
      throw new Error('cannot recover');
    },
  });
  fatal.trigger('configure');
  const result = fatal.trigger('activate');
  assert.equal(result.state, 'finalized');
  assert.match(result.reason, /raised an error: boom \(now finalized\)/);
});

test('a handler cannot start another transition of the same node', () => {
  let inner: ReturnType<LifecycleStateMachine['trigger']> | undefined;
  const machine: LifecycleStateMachine = new LifecycleStateMachine('/n', {
    onConfigure: () => {
      inner = machine.trigger('activate');
    },
  });
  assert.equal(machine.trigger('configure').state, 'inactive');
  assert.equal(inner?.successful, false);
  assert.match(inner?.reason ?? '', /'configure' is still in progress/);
});
