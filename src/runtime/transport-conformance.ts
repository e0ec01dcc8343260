/**
 * Transport conformance suite: what node-api.ts and qos.ts promise for EVERY transport, run
 * against the in-process bus (in-process-bus.conformance.test.ts) and against ROS 2 where it is
 * present (ros2/ros2-conformance.test.ts), so the same node classes behave the same on either.
 *
 * Only promised behaviour is checked, never in-process determinism (synchronous delivery,
 * cross-topic order): real transports are asynchronous, so every expectation polls with a
 * deadline, a live connection is established with warm-up messages before anything is
 * asserted, and "nothing arrived" is proven by a later marker message from the same publisher
 * arriving first (per-publisher order is promised). No timing assertions beyond ordering.
 * Every test makes fresh nodes and uniquely named topics and destroys its nodes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MessageTypeName, MessageTypes } from './messages.js';
import type {
  ParameterValue,
  Publisher,
  RuntimeNode,
  SubscriptionOptions,
  TimerTick,
  Transport,
} from './node-api.js';
import type { QoSHint, QoSProfile } from './qos.js';
import { LifecycleTransitionFailure } from './lifecycle/lifecycle-transition-failure.js';

export interface TransportConformanceOptions {
  /** Skip every test with this reason (e.g. "ROS 2 not available"); makeTransport is then never called. */
  skip?: string;
  /** How long to wait for anything that should happen; default 5000 ms. */
  timeoutMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `done` every few ms until it is true; throws naming `what` after the deadline. */
export async function waitUntil(what: string, done: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

/** Publishes `make(i)` every ~20 ms until `done`: for connections that need discovery first. */
export async function publishUntil<T extends MessageTypeName>(
  what: string,
  publisher: Publisher<T>,
  make: (i: number) => MessageTypes[T],
  done: () => boolean,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; !done(); i++) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    publisher.publish(make(i));
    const next = Date.now() + 20;
    while (!done() && Date.now() < next) await sleep(2);
  }
}

let counter = 0;
/** A name token unique in this process and (by pid and a random part) across processes on a ROS graph. */
function unique(prefix: string): string {
  counter += 1;
  return `${prefix}_${process.pid}_${counter}_${Math.random().toString(36).slice(2, 8)}`;
}

/** QoS 'record' with keep_all, so a reliable burst is never cut by a shallow queue. */
const KEEP_ALL: QoSProfile = {
  history: 'keep_all',
  depth: 1000,
  reliability: 'reliable',
  durability: 'volatile',
};

export function transportConformanceSuite(
  name: string,
  makeTransport: () => Promise<Transport>,
  options: TransportConformanceOptions = {},
): void {
  const timeoutMs = options.timeoutMs ?? 5000;
  const skip = options.skip;
  let transport: Transport | undefined;

  describe(`transport conformance: ${name}`, { skip }, () => {
    before(async () => {
      if (skip === undefined) transport = await makeTransport();
    });
    after(async () => {
      await transport?.shutdown();
      transport = undefined;
    });

    /** Runs `body` with fresh uniquely named nodes, destroyed afterwards whatever happens. */
    async function withNodes(
      body: (
        make: (base: string, nodeOptions?: Parameters<Transport['createNode']>[1]) => RuntimeNode,
      ) => Promise<void>,
    ): Promise<void> {
      assert.ok(transport !== undefined, 'transport was not created');
      const t = transport;
      const nodes: RuntimeNode[] = [];
      try {
        await body((base, nodeOptions) => {
          const node = t.createNode(unique(base), nodeOptions);
          nodes.push(node);
          return node;
        });
      } finally {
        for (const node of nodes.reverse()) node.destroy();
      }
    }

    /**
     * Subscribes on `sub` and publishes warm-up messages (`warm(i)`) from `pub` until one arrives,
     * so the connection is established; returns what the callback collected (warm-ups included).
     */
    async function connected<T extends MessageTypeName>(
      pub: Publisher<T>,
      subscribe: (callback: (message: MessageTypes[T]) => void) => void,
      warm: (i: number) => MessageTypes[T],
      isWarm: (message: MessageTypes[T]) => boolean,
    ): Promise<MessageTypes[T][]> {
      const got: MessageTypes[T][] = [];
      subscribe((m) => got.push(m));
      await publishUntil(`a warm-up message on '${pub.topic}'`, pub, warm, () => got.some(isWarm), timeoutMs);
      return got;
    }

    const str = (data: string): MessageTypes['std_msgs/msg/String'] => ({ data });
    const isWarmStr = (m: { data: string }): boolean => m.data.startsWith('warm');

    test('messages on one topic from one publisher arrive in publish order', async () => {
      await withNodes(async (make) => {
        const topic = `/${unique('conf_order')}`;
        const talker = make('order_talker');
        const listener = make('order_listener');
        const pub = talker.createPublisher('std_msgs/msg/String', topic, { qos: KEEP_ALL });
        const got = await connected(
          pub,
          (cb) => listener.createSubscription('std_msgs/msg/String', topic, cb, { qos: KEEP_ALL }),
          (i) => str(`warm${i}`),
          isWarmStr,
        );
        const sent = Array.from({ length: 50 }, (_, i) => `m${i}`);
        for (const data of sent) pub.publish(str(data));
        const real = (): string[] => got.map((m) => m.data).filter((d) => !d.startsWith('warm'));
        await waitUntil(
          `all ${sent.length} messages on '${topic}'`,
          () => real().length >= sent.length,
          timeoutMs,
        );
        assert.deepEqual(real(), sent);
        // Warm-ups were all published before m0, so none may arrive after it.
        assert.ok(got.findIndex((m) => m.data === 'm0') > got.findLastIndex((m) => isWarmStr(m)));
      });
    });

    test('message fields arrive intact: JointState, Float64MultiArray, String, Bool', async () => {
      await withNodes(async (make) => {
        const talker = make('fields_talker');
        const listener = make('fields_listener');

        async function roundTrip<T extends MessageTypeName>(
          typeName: T,
          message: MessageTypes[T],
        ): Promise<MessageTypes[T]> {
          const topic = `/${unique('conf_fields')}`;
          const pub = talker.createPublisher(typeName, topic);
          const got: MessageTypes[T][] = [];
          listener.createSubscription(typeName, topic, (m) => got.push(m));
          await publishUntil(
            `a ${typeName} on '${topic}'`,
            pub,
            () => message,
            () => got.length > 0,
            timeoutMs,
          );
          return got[0];
        }

        const js = await roundTrip('sensor_msgs/msg/JointState', {
          header: { stamp: { sec: 12, nanosec: 345_000_000 }, frame_id: 'base_link' },
          name: ['shoulder', 'elbow', 'wrist'],
          position: [0.5, -1.25, 3.0e-7],
          velocity: [0, 1.5, -2.75],
          effort: [],
        });
        assert.equal(js.header.frame_id, 'base_link');
        assert.deepEqual({ ...js.header.stamp }, { sec: 12, nanosec: 345_000_000 });
        for (const field of ['name', 'position', 'velocity', 'effort'] as const) {
          assert.ok(Array.isArray(js[field]), `JointState.${field} arrives as a plain array`);
        }
        assert.deepEqual(js.name, ['shoulder', 'elbow', 'wrist']);
        assert.deepEqual(js.position, [0.5, -1.25, 3.0e-7]);
        assert.deepEqual(js.velocity, [0, 1.5, -2.75]);
        assert.deepEqual(js.effort, []);

        const fa = await roundTrip('std_msgs/msg/Float64MultiArray', {
          layout: { dim: [{ label: 'joints', size: 4, stride: 4 }], data_offset: 0 },
          data: [1.5, -2.25, 0, 1e6],
        });
        assert.ok(Array.isArray(fa.data), 'Float64MultiArray.data arrives as a plain array');
        assert.deepEqual(fa.data, [1.5, -2.25, 0, 1e6]);
        assert.equal(fa.layout.data_offset, 0);
        assert.deepEqual(
          fa.layout.dim.map((d) => ({ ...d })),
          [{ label: 'joints', size: 4, stride: 4 }],
        );

        const s = await roundTrip('std_msgs/msg/String', { data: 'mode: run, step 1/2' });
        assert.equal(s.data, 'mode: run, step 1/2');
        const empty = await roundTrip('std_msgs/msg/String', { data: '' });
        assert.equal(empty.data, '');

        const yes = await roundTrip('std_msgs/msg/Bool', { data: true });
        assert.equal(yes.data, true);
        const no = await roundTrip('std_msgs/msg/Bool', { data: false });
        assert.equal(no.data, false);
      });
    });

    test('a subscription callback that throws stops neither later messages, other subscriptions nor the node', async () => {
      await withNodes(async (make) => {
        const topic = `/${unique('conf_throw')}`;
        const other = `/${unique('conf_throw_other')}`;
        const talker = make('throw_talker');
        const listener = make('throw_listener');
        const pub = talker.createPublisher('std_msgs/msg/String', topic, { qos: KEEP_ALL });
        const thrower: string[] = [];
        listener.createSubscription(
          'std_msgs/msg/String',
          topic,
          (m) => {
            thrower.push(m.data);
            throw new Error(`conformance: deliberate failure on '${m.data}' (expected in this test)`);
          },
          { qos: KEEP_ALL },
        );
        const sibling = await connected(
          pub,
          (cb) => listener.createSubscription('std_msgs/msg/String', topic, cb, { qos: KEEP_ALL }),
          (i) => str(`warm${i}`),
          isWarmStr,
        );
        await waitUntil('the throwing subscription to get a warm-up', () =>
          thrower.some((d) => d.startsWith('warm')),
        );
        for (const data of ['a', 'b', 'c']) pub.publish(str(data));
        const real = (xs: string[]): string[] => xs.filter((d) => !d.startsWith('warm'));
        await waitUntil(
          'the throwing subscription to get a, b, c',
          () => real(thrower).length >= 3,
          timeoutMs,
        );
        await waitUntil(
          'the other subscription to get a, b, c',
          () => real(sibling.map((m) => m.data)).length >= 3,
          timeoutMs,
        );
        assert.deepEqual(real(thrower), ['a', 'b', 'c']);
        assert.deepEqual(real(sibling.map((m) => m.data)), ['a', 'b', 'c']);

        // The node is still alive: it can make new endpoints and they work.
        const pub2 = talker.createPublisher('std_msgs/msg/Bool', other);
        const got2: boolean[] = [];
        listener.createSubscription('std_msgs/msg/Bool', other, (m) => got2.push(m.data));
        await publishUntil(
          `a Bool on '${other}'`,
          pub2,
          () => ({ data: true }),
          () => got2.length > 0,
          timeoutMs,
        );
        let ticks = 0;
        const timer = listener.createTimer(0.01, () => {
          ticks += 1;
        });
        await waitUntil('a timer tick on the node whose callback threw', () => ticks > 0, timeoutMs);
        timer.cancel();
      });
    });

    test("transient_local ('latched'): a late latched subscription gets the last message", async () => {
      await withNodes(async (make) => {
        const topic = `/${unique('conf_latched')}`;
        const talker = make('latched_talker');
        const pub = talker.createPublisher('std_msgs/msg/String', topic, { qos: 'latched' });
        pub.publish(str('first'));
        pub.publish(str('last'));
        const late = make('latched_late');
        const got: string[] = [];
        late.createSubscription('std_msgs/msg/String', topic, (m) => got.push(m.data), { qos: 'latched' });
        await waitUntil(`the latched message on '${topic}'`, () => got.length > 0, timeoutMs);
        // 'latched' keeps depth 1: only the last message is replayed.
        assert.deepEqual(got, ['last']);
        pub.publish(str('live'));
        await waitUntil(
          `a live message after the replay on '${topic}'`,
          () => got.includes('live'),
          timeoutMs,
        );
        assert.deepEqual(got, ['last', 'live']);
      });
    });

    test("volatile ('default'): a late subscription does not get messages published before it", async () => {
      await withNodes(async (make) => {
        for (const pubQoS of ['default', 'latched'] as const) {
          const topic = `/${unique('conf_volatile')}`;
          const talker = make('volatile_talker');
          const pub = talker.createPublisher('std_msgs/msg/String', topic, { qos: pubQoS });
          pub.publish(str('early'));
          const late = make('volatile_late');
          const got: string[] = [];
          // A 'default' subscription is volatile: it must not get history, even from a latched publisher.
          late.createSubscription('std_msgs/msg/String', topic, (m) => got.push(m.data), { qos: 'default' });
          await publishUntil(
            `a live message on '${topic}'`,
            pub,
            (i) => str(`live${i}`),
            () => got.length > 0,
            timeoutMs,
          );
          assert.ok(
            !got.includes('early'),
            `publisher '${pubQoS}': a volatile late joiner got ${JSON.stringify(got)}`,
          );
        }
      });
    });

    test('transient_local keep_last depth: a late joiner gets only the last `depth` messages, oldest first', async () => {
      // qos.ts: "late joiners get the last `depth` messages of a transient-local publisher" (as DDS does).
      await withNodes(async (make) => {
        const topic = `/${unique('conf_depth')}`;
        const talker = make('depth_talker');
        const depth2: QoSHint = {
          history: 'keep_last',
          depth: 2,
          reliability: 'reliable',
          durability: 'transient_local',
        };
        const pub = talker.createPublisher('std_msgs/msg/String', topic, { qos: depth2 });
        for (const data of ['a', 'b', 'c', 'd']) pub.publish(str(data));
        const late = make('depth_late');
        const got: string[] = [];
        const subQoS: SubscriptionOptions = {
          qos: { history: 'keep_last', depth: 10, reliability: 'reliable', durability: 'transient_local' },
        };
        late.createSubscription('std_msgs/msg/String', topic, (m) => got.push(m.data), subQoS);
        await waitUntil(`2 replayed messages on '${topic}'`, () => got.length >= 2, timeoutMs);
        pub.publish(str('live'));
        await waitUntil(`a live message on '${topic}'`, () => got.includes('live'), timeoutMs);
        assert.deepEqual(got, ['c', 'd', 'live']);
      });
    });

    test('timers fire repeatedly with tick info, and cancel() stops them', async () => {
      await withNodes(async (make) => {
        const node = make('timer_node');
        const ticks: TimerTick[] = [];
        const timer = node.createTimer(0.01, (tick) => ticks.push(tick));
        assert.equal(timer.periodSeconds, 0.01);
        assert.equal(timer.isCanceled(), false);
        await waitUntil('3 timer ticks', () => ticks.length >= 3, timeoutMs);
        timer.cancel();
        assert.equal(timer.isCanceled(), true);
        const count = ticks.length;
        for (const tick of ticks) {
          assert.equal(typeof tick.expected, 'number');
          assert.equal(typeof tick.actual, 'number');
          assert.ok(Number.isFinite(tick.expected) && Number.isFinite(tick.actual));
          assert.ok(
            tick.actual >= tick.expected - 1e-3,
            `tick started early: ${tick.actual} < ${tick.expected}`,
          );
          assert.ok(Number.isInteger(tick.missed) && tick.missed >= 0, `missed is ${tick.missed}`);
        }
        for (let i = 1; i < ticks.length; i++) {
          assert.ok(ticks[i].expected > ticks[i - 1].expected, 'tick.expected increases');
        }
        // Ticks are on the node clock: the same time base as node.clock.nowSeconds().
        const now = node.clock.nowSeconds();
        assert.ok(Math.abs(now - ticks[0].actual) < 60, `tick time ${ticks[0].actual} vs node clock ${now}`);
        await sleep(100); // ten periods
        assert.equal(ticks.length, count, 'a cancelled timer fired again');
        timer.cancel(); // idempotent
        assert.equal(timer.isCanceled(), true);
      });
    });

    test('a timer cancelled from its own callback fires no more', async () => {
      await withNodes(async (make) => {
        const node = make('timer_self_cancel');
        let n = 0;
        const timer = node.createTimer(0.01, () => {
          n += 1;
          if (n === 2) timer.cancel();
        });
        await waitUntil('2 timer ticks', () => n >= 2, timeoutMs);
        await sleep(100);
        assert.equal(n, 2);
        assert.equal(timer.isCanceled(), true);
      });
    });

    test('parameters: declare returns the default; an override from NodeOptions wins', async () => {
      await withNodes(async (make) => {
        const node = make('params_override', {
          parameterOverrides: { gain: 2.5, label: 'from_params_file', flags: [true, false] },
        });
        assert.equal(node.declareParameter('horizon_s', 1.5), 1.5);
        assert.equal(node.getParameter('horizon_s'), 1.5);
        assert.equal(node.declareParameter('gain', 1.0, { range: { min: 0, max: 10 } }), 2.5);
        assert.equal(node.getParameter('gain'), 2.5);
        assert.equal(node.declareParameter('label', 'default'), 'from_params_file');
        assert.deepEqual(node.declareParameter('flags', [false]), [true, false]);
        assert.deepEqual(node.declareParameter('joints', ['a', 'b']), ['a', 'b']);
        assert.deepEqual(node.getParameter('joints'), ['a', 'b']);
        assert.equal(node.getParameter('use_sim_time'), false);
      });
    });

    test('parameters: an override of an integer parameter wins', async () => {
      await withNodes(async (make) => {
        const node = make('params_int_override', { parameterOverrides: { rate_hz: 50 } });
        assert.equal(node.declareParameter('rate_hz', 20, { integer: true }), 50);
        assert.equal(node.getParameter('rate_hz'), 50);
        assert.equal(node.setParameter('rate_hz', 100).successful, true);
        assert.equal(node.getParameter('rate_hz'), 100);
      });
    });

    test('parameters: range, integer, type and readOnly reject bad sets with a reason; onParameterChange fires only after a successful set', async () => {
      await withNodes(async (make) => {
        const node = make('params_validate');
        node.declareParameter('gain', 1.0, { range: { min: 0, max: 10 } });
        node.declareParameter('steps', 4, { integer: true });
        node.declareParameter('mode', 'auto', { readOnly: true });
        const changes: [string, ParameterValue][] = [];
        const unsubscribe = node.onParameterChange((name, value) => changes.push([name, value]));

        const rejected: [string, ParameterValue][] = [
          ['gain', 11],
          ['gain', -0.5],
          ['gain', 'high'],
          ['steps', 2.5],
          ['mode', 'manual'],
        ];
        for (const [name, value] of rejected) {
          const r = node.setParameter(name, value);
          assert.equal(r.successful, false, `set ${name} = ${JSON.stringify(value)} should be rejected`);
          assert.equal(typeof r.reason, 'string');
          assert.ok(r.reason.length > 0, `rejecting ${name} = ${JSON.stringify(value)} gives a reason`);
        }
        assert.equal(node.getParameter('gain'), 1.0);
        assert.equal(node.getParameter('steps'), 4);
        assert.equal(node.getParameter('mode'), 'auto');

        assert.deepEqual(node.setParameter('gain', 10), { successful: true, reason: '' });
        assert.equal(node.getParameter('gain'), 10);
        assert.equal(node.setParameter('steps', 7).successful, true);
        assert.equal(node.getParameter('steps'), 7);
        await waitUntil('2 parameter change events', () => changes.length >= 2, timeoutMs);
        // Change events of the rejected sets would have come before these.
        assert.deepEqual(changes, [
          ['gain', 10],
          ['steps', 7],
        ]);

        unsubscribe();
        assert.equal(node.setParameter('gain', 3).successful, true);
        await sleep(50);
        assert.equal(changes.length, 2, 'a removed listener was called');
      });
    });

    test("namespaces: 'joint_states' of a node in a namespace is '/<namespace>/joint_states'", async () => {
      await withNodes(async (make) => {
        const namespace = `/${unique('robot')}`;
        const robot = make('ns_driver', { namespace });
        assert.equal(robot.namespace, namespace);
        const pub = robot.createPublisher('sensor_msgs/msg/JointState', 'joint_states');
        assert.equal(pub.topic, `${namespace}/joint_states`);
        const outsider = make('ns_listener');
        const got: string[][] = [];
        const sub = outsider.createSubscription(
          'sensor_msgs/msg/JointState',
          `${namespace}/joint_states`,
          (m) => got.push(m.name),
        );
        assert.equal(sub.topic, `${namespace}/joint_states`);
        // A relative name in another namespace is another topic.
        const elsewhere: unknown[] = [];
        make('ns_other', { namespace: `/${unique('other')}` }).createSubscription(
          'sensor_msgs/msg/JointState',
          'joint_states',
          (m) => elsewhere.push(m),
        );
        const msg: MessageTypes['sensor_msgs/msg/JointState'] = {
          header: { stamp: robot.now(), frame_id: '' },
          name: ['j0'],
          position: [1],
          velocity: [],
          effort: [],
        };
        await publishUntil(
          `a JointState on '${namespace}/joint_states'`,
          pub,
          () => msg,
          () => got.length > 0,
          timeoutMs,
        );
        assert.deepEqual(got[0], ['j0']);
        assert.equal(elsewhere.length, 0);
        // Private names resolve under the node.
        assert.equal(
          robot.createPublisher('std_msgs/msg/Bool', '~/ready').topic,
          `${namespace}/${robot.name}/ready`,
        );
      });
    });

    test('destroy(): a destroyed subscription gets no more messages; the others still do', async () => {
      await withNodes(async (make) => {
        const topic = `/${unique('conf_destroy')}`;
        const talker = make('destroy_talker');
        const listener = make('destroy_listener');
        const pub = talker.createPublisher('std_msgs/msg/String', topic, { qos: KEEP_ALL });
        const doomed: string[] = [];
        const doomedSub = listener.createSubscription(
          'std_msgs/msg/String',
          topic,
          (m) => doomed.push(m.data),
          {
            qos: KEEP_ALL,
          },
        );
        const kept = await connected(
          pub,
          (cb) => listener.createSubscription('std_msgs/msg/String', topic, cb, { qos: KEEP_ALL }),
          (i) => str(`warm${i}`),
          isWarmStr,
        );
        await waitUntil('the doomed subscription to be connected', () => doomed.length > 0, timeoutMs);
        pub.publish(str('before'));
        await waitUntil(
          "'before' on both subscriptions",
          () => doomed.includes('before') && kept.some((m) => m.data === 'before'),
          timeoutMs,
        );
        doomedSub.destroy();
        const count = doomed.length;
        for (const data of ['after1', 'after2', 'marker']) pub.publish(str(data));
        await waitUntil(
          "'marker' on the kept subscription",
          () => kept.some((m) => m.data === 'marker'),
          timeoutMs,
        );
        await sleep(50);
        assert.equal(
          doomed.length,
          count,
          `a destroyed subscription got ${JSON.stringify(doomed.slice(count))}`,
        );
        doomedSub.destroy(); // idempotent
      });
    });

    test('managed node: configure, activate, deactivate, cleanup, shutdown run their handlers in order', async () => {
      assert.ok(transport !== undefined, 'transport was not created');
      const calls: string[] = [];
      const managed = transport.createManagedNode(unique('managed'), {
        onConfigure: () => calls.push('configure'),
        onActivate: () => calls.push('activate'),
        onDeactivate: () => calls.push('deactivate'),
        onCleanup: () => calls.push('cleanup'),
        onShutdown: (from) => calls.push(`shutdown from ${from}`),
      });
      try {
        assert.equal(managed.state, 'unconfigured');
        const invalid = managed.trigger('activate');
        assert.equal(invalid.successful, false);
        assert.equal(invalid.state, 'unconfigured');
        assert.match(invalid.reason, /activate/);
        for (const [transition, state] of [
          ['configure', 'inactive'],
          ['activate', 'active'],
          ['deactivate', 'inactive'],
          ['cleanup', 'unconfigured'],
          ['configure', 'inactive'],
          ['shutdown', 'finalized'],
        ] as const) {
          const result = managed.trigger(transition);
          assert.equal(result.successful, true, `${transition}: ${result.reason}`);
          assert.equal(result.state, state, transition);
          assert.equal(managed.state, state);
        }
        assert.deepEqual(calls, [
          'configure',
          'activate',
          'deactivate',
          'cleanup',
          'configure',
          'shutdown from inactive',
        ]);
      } finally {
        managed.node.destroy();
      }
    });

    test('managed node: a refused configure stays unconfigured; an error goes through onError', async () => {
      assert.ok(transport !== undefined, 'transport was not created');
      let refuse = true;
      const errors: string[] = [];
      const managed = transport.createManagedNode(unique('managed_fail'), {
        onConfigure: () => {
          if (refuse) throw new LifecycleTransitionFailure('robot config missing');
        },
        onActivate: () => {
          throw new Error('device exploded');
        },
        onError: (error) => errors.push(error instanceof Error ? error.message : String(error)),
      });
      try {
        const refused = managed.trigger('configure');
        assert.equal(refused.successful, false);
        assert.equal(refused.state, 'unconfigured');
        assert.match(refused.reason, /robot config missing/);
        refuse = false;
        assert.equal(managed.trigger('configure').state, 'inactive');
        const failed = managed.trigger('activate');
        assert.equal(failed.successful, false);
        // onError returned: error processing recovers to unconfigured.
        assert.equal(failed.state, 'unconfigured');
        assert.deepEqual(errors, ['device exploded']);
      } finally {
        managed.node.destroy();
      }
    });

    test('clock: now() and clock.now() are wall time on a node without use_sim_time', async () => {
      await withNodes(async (make) => {
        const node = make('clock_node');
        assert.equal(node.clock.isSimTime, false);
        const wall = Date.now() / 1000;
        const t = node.now();
        assert.ok(Number.isInteger(t.sec) && Number.isInteger(t.nanosec));
        assert.ok(t.nanosec >= 0 && t.nanosec < 1e9);
        assert.ok(
          Math.abs(t.sec + t.nanosec / 1e9 - wall) < 5,
          `node.now() ${t.sec}.${t.nanosec} vs wall ${wall}`,
        );
        assert.ok(Math.abs(node.clock.nowSeconds() - wall) < 5);
      });
    });
  });
}
