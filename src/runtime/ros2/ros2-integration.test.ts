// ROS 2 integration test: runs only with ROS 2 sourced (ROS_DISTRO set) and rclnodejs loadable.
// NOT run in this repository's CI so far (no ROS 2 there): everything it covers is otherwise
// only checked statically, by `tsc -p tsconfig.ros2.json`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JointStateMsg } from '../messages.js';
import { ros2TestSkipReason } from './ros2-test-skip-reason.js';
import { Ros2Transport } from './ros2-transport.js';

const reason = await ros2TestSkipReason();
if (reason !== undefined) console.log(`skipped: ${reason}`); // node --test prints it as '# skipped: ...'

function waitFor<T>(what: string, executor: (resolve: (v: T) => void) => void, ms = 5000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    executor((v) => {
      clearTimeout(timer);
      resolve(v);
    });
  });
}

test(
  'ROS 2: JointState pub/sub between two nodes, a timer, a parameter round trip',
  { skip: reason },
  async () => {
    const transport = await Ros2Transport.create({});
    try {
      const talker = transport.createNode('h9_talker', { namespace: '/h9_test' });
      const listener = transport.createNode('h9_listener', {
        namespace: '/h9_test',
        parameterOverrides: { gain: 2.5 },
      });

      const received = waitFor<JointStateMsg>('a JointState', (resolve) => {
        listener.createSubscription('sensor_msgs/msg/JointState', 'joint_states', resolve, {
          qos: 'sensorData',
        });
      });
      const pub = talker.createPublisher('sensor_msgs/msg/JointState', 'joint_states', { qos: 'sensorData' });
      assert.equal(pub.topic, '/h9_test/joint_states');
      const sent: JointStateMsg = {
        header: { stamp: talker.now(), frame_id: 'base' },
        name: ['j0', 'j1'],
        position: [0.5, -1.25],
        velocity: [0, 1],
        effort: [],
      };
      const repeat = setInterval(() => pub.publish(sent), 50);
      const msg = await received.finally(() => clearInterval(repeat));
      assert.deepEqual(msg.name, ['j0', 'j1']);
      assert.ok(Array.isArray(msg.position), 'number arrays arrive as plain arrays');
      assert.deepEqual(msg.position, [0.5, -1.25]);
      assert.equal(msg.header.frame_id, 'base');

      const ticks = await waitFor<number>('3 timer ticks', (resolve) => {
        let n = 0;
        const t = talker.createTimer(0.02, () => {
          n += 1;
          if (n === 3) {
            t.cancel();
            resolve(n);
          }
        });
      });
      assert.equal(ticks, 3);

      assert.equal(listener.declareParameter('gain', 1.0, { range: { min: 0, max: 10 } }), 2.5);
      assert.equal(listener.declareParameter('steps', 4, { integer: true }), 4);
      const changes: [string, unknown][] = [];
      listener.onParameterChange((name, value) => changes.push([name, value]));
      assert.deepEqual(listener.setParameter('gain', 3.5), { successful: true, reason: '' });
      assert.equal(listener.getParameter('gain'), 3.5);
      assert.equal(listener.setParameter('gain', 11).successful, false);
      assert.equal(listener.setParameter('steps', 7).successful, true);
      assert.equal(listener.getParameter('steps'), 7);
      assert.deepEqual(changes, [
        ['gain', 3.5],
        ['steps', 7],
      ]);
      assert.equal(listener.getParameter('use_sim_time'), false);
      // ControlTick works where the mbrl_msgs package is built and sourced, and is refused
      // with the build steps where it is not.
      let tickPub: { destroy(): void } | null = null;
      try {
        tickPub = talker.createPublisher('mbrl_msgs/msg/ControlTick', 'ticks');
      } catch (error) {
        assert.match((error as Error).message, /colcon build --packages-select mbrl_msgs/);
      }
      tickPub?.destroy();
    } finally {
      await transport.shutdown();
    }
  },
);
