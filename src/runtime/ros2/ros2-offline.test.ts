// Tests of the ROS 2 transport that need neither ROS 2 nor rclnodejs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { QoS, type QoSProfile } from '../qos.js';
import { loadRclnodejs, rclnodejsLoadErrorMessage } from './load-rclnodejs.js';
import { toRclQoSSettings } from './qos-mapping.js';
import { RCL_PARAMETER_TYPE, RMW_QOS } from './rclnodejs-api.js';
import {
  checkRosInterfaceAvailable,
  fromRclParameterValue,
  rclParameterType,
  toRclParameterValue,
} from './ros2-transport.js';

test('loader: a missing module gives an actionable error with the underlying reason', async () => {
  await assert.rejects(loadRclnodejs({ specifier: 'rclnodejs-does-not-exist-h9', env: {} }), (err: Error) => {
    assert.match(err.message, /could not be loaded \(ROS_DISTRO is unset/);
    assert.match(err.message, /source \/opt\/ros\/<distro>\/setup\.bash/);
    assert.match(err.message, /Humble, Jazzy or Kilted/);
    assert.match(err.message, /npm install rclnodejs/);
    assert.match(err.message, /Underlying error: .*rclnodejs-does-not-exist-h9/);
    return true;
  });
});

test('loader: names the ROS_DISTRO that is set', () => {
  const msg = rclnodejsLoadErrorMessage('boom', { ROS_DISTRO: 'jazzy' });
  assert.match(msg, /ROS_DISTRO is set to 'jazzy'/);
  assert.match(msg, /source \/opt\/ros\/jazzy\/setup\.bash/);
  assert.match(msg, /Underlying error: boom/);
});

test('loader: a module that is not rclnodejs is rejected', async () => {
  await assert.rejects(loadRclnodejs({ specifier: 'node:path', env: {} }), /does not look like rclnodejs/);
});

test('QoS mapping: every preset', () => {
  const K = RMW_QOS;
  const expected: Record<keyof typeof QoS, [number, number, number, number]> = {
    default: [K.HISTORY_KEEP_LAST, 10, K.RELIABILITY_RELIABLE, K.DURABILITY_VOLATILE],
    sensorData: [K.HISTORY_KEEP_LAST, 5, K.RELIABILITY_BEST_EFFORT, K.DURABILITY_VOLATILE],
    command: [K.HISTORY_KEEP_LAST, 1, K.RELIABILITY_RELIABLE, K.DURABILITY_VOLATILE],
    latched: [K.HISTORY_KEEP_LAST, 1, K.RELIABILITY_RELIABLE, K.DURABILITY_TRANSIENT_LOCAL],
    record: [K.HISTORY_KEEP_LAST, 1000, K.RELIABILITY_RELIABLE, K.DURABILITY_VOLATILE],
    clock: [K.HISTORY_KEEP_LAST, 1, K.RELIABILITY_BEST_EFFORT, K.DURABILITY_VOLATILE],
  };
  assert.deepEqual(Object.keys(expected).sort(), Object.keys(QoS).sort());
  for (const [name, [history, depth, reliability, durability]] of Object.entries(expected)) {
    const profile: QoSProfile = QoS[name as keyof typeof QoS];
    assert.deepEqual(toRclQoSSettings(profile), { history, depth, reliability, durability }, name);
  }
  // rmw numbers (rmw/types.h), which the conformance check ties to rclnodejs's enums.
  assert.deepEqual(toRclQoSSettings({ ...QoS.default, history: 'keep_all' }).history, 2);
  assert.throws(() => toRclQoSSettings({ ...QoS.default, depth: -1 }), /non-negative integer/);
});

test('ControlTick has no ROS interface package: a clear error', () => {
  assert.throws(
    () => checkRosInterfaceAvailable('mbrl_msgs/msg/ControlTick', '/control_tick'),
    /'mbrl_msgs\/msg\/ControlTick' has no ROS 2 interface package yet/,
  );
  checkRosInterfaceAvailable('sensor_msgs/msg/JointState', '/joint_states');
});

test('parameter value conversion', () => {
  const T = RCL_PARAMETER_TYPE;
  assert.equal(rclParameterType(1.5, false), T.DOUBLE);
  assert.equal(rclParameterType(3, true), T.INTEGER);
  assert.equal(rclParameterType([1, 2], true), T.INTEGER_ARRAY);
  assert.equal(rclParameterType([], false), T.DOUBLE_ARRAY);
  assert.equal(rclParameterType(['a'], false), T.STRING_ARRAY);
  assert.equal(rclParameterType(true, false), T.BOOL);
  assert.equal(toRclParameterValue(3, T.INTEGER), 3n);
  assert.deepEqual(toRclParameterValue([1, 2], T.INTEGER_ARRAY), [1n, 2n]);
  assert.throws(() => toRclParameterValue(1.5, T.INTEGER), /not an integer/);
  assert.equal(fromRclParameterValue(7n), 7);
  assert.deepEqual(fromRclParameterValue(new Float64Array([1, 2])), [1, 2]);
  assert.deepEqual(fromRclParameterValue([1n, 2n]), [1, 2]);
});
