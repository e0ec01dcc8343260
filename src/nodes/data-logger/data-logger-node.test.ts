import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTask } from '../../config/task-loader.js';
import type { TransitionRecord } from '../../datalog/transition-record.js';
import { RandomPolicy } from '../../policies/random-policy.js';
import { InProcessBus } from '../../runtime/in-process-bus.js';
import { waitFor } from '../../hardware/testing/wait-for.js';
import { MemoryLogger, type MemoryLogEntry } from '../../runtime/memory-logger.js';
import { DiagnosticLevel, type ControlTickMsg, type DiagnosticStatusMsg } from '../../runtime/messages.js';
import { timeFromSeconds } from '../../runtime/time.js';
import { TaskEnvironment } from '../../tasks/task-environment.js';
import { ControllerNode } from '../controller/controller-node.js';
import { MujocoSimNode } from '../mujoco-sim-node.js';
import { DataLoggerNode, type TransitionSinkHealth } from './data-logger-node.js';

test('transitions are exactly what the controller saw and did, with no gaps or duplicates', async () => {
  const loaded = loadTask('cartpole-swingup');
  const env = await TaskEnvironment.create(loaded);
  const bus = new InProcessBus({ loggerFactory: (n) => new MemoryLogger(n) });
  try {
    const sim = new MujocoSimNode(bus.createNode('sim', { useSimTime: true }), {
      env,
      mode: 'lockstep',
      seed: 3,
    });
    const controller = new ControllerNode(bus.createNode('controller', { useSimTime: true }), {
      task: env.task,
      policies: { random: new RandomPolicy({ low: env.actionLow, high: env.actionHigh, seed: 4 }) },
      rateHz: 1 / env.dt,
      staleTimeoutSeconds: 2 * env.dt,
      safeAction: 'zero',
    });
    const records: TransitionRecord[] = [];
    const logger = new DataLoggerNode(bus.createNode('logger', { useSimTime: true }), {
      task: env.task,
      sink: {
        append: (r) =>
          records.push({
            ...r,
            state: Array.from(r.state),
            action: Array.from(r.action),
            nextState: Array.from(r.nextState),
          }),
      },
    });
    const probe = bus.createNode('probe', { useSimTime: true });
    const commands: number[][] = [];
    probe.createSubscription('std_msgs/msg/Float64MultiArray', 'command', (m) => commands.push(m.data));
    const steps = 25;
    const truth: { state: number[]; reward: number }[][] = [];
    for (let episode = 0; episode < 2; episode++) {
      controller.resetEpisode({ steps });
      const start = sim.reset();
      const seen = [{ state: Array.from(start), reward: NaN }];
      for (let t = 0; t < steps; t++) {
        const r = sim.advance();
        seen.push({ state: Array.from(r.state), reward: r.reward });
      }
      truth.push(seen);
    }
    assert.equal(records.length, 2 * steps);
    assert.equal(logger.stats.gaps, 0);
    for (let episode = 0; episode < 2; episode++) {
      const ep = records.filter((r) => r.episode === episode + 1);
      assert.deepEqual(
        ep.map((r) => r.step),
        Array.from({ length: steps }, (_, t) => t),
        'one transition per tick, in order',
      );
      for (let t = 0; t < steps; t++) {
        const r = ep[t];
        assert.deepEqual(
          Array.from(r.state),
          truth[episode][t].state.map((v, i) => (i === 1 ? wrap(v) : v)),
        );
        assert.deepEqual(
          Array.from(r.nextState),
          truth[episode][t + 1].state.map((v, i) => (i === 1 ? wrap(v) : v)),
        );
        assert.ok(Math.abs(r.reward - truth[episode][t + 1].reward) < 1e-9, `reward at ${t}`);
        assert.equal(r.done, t === steps - 1);
        assert.equal(r.source, 'random');
      }
    }
    // Each episode: `steps` commands acted on, then the terminal tick's safe command.
    const acted = records.map((r) => Array.from(r.action));
    const sent = commands.filter((_, k) => k % (steps + 1) !== steps);
    assert.deepEqual(acted, sent, 'the logged action is the command that was published');
  } finally {
    await bus.shutdown();
    env.dispose();
  }
});

function wrap(angle: number): number {
  return angle - 2 * Math.PI * Math.floor((angle + Math.PI) / (2 * Math.PI));
}

function tickMsg(step: number, angle: number, extra: Partial<ControlTickMsg> = {}): ControlTickMsg {
  return {
    header: { stamp: timeFromSeconds(0.05 * (step + 1)), frame_id: '' },
    episode: 1,
    step,
    terminal: false,
    state: [angle, 0],
    action: [0.1],
    source: 'mpc',
    mode: 'mpc',
    model_version: 2,
    safe_reason: '',
    has_state: true,
    ...extra,
  };
}

test('gaps, malformed ticks and a failing sink are counted, never fatal', async () => {
  const { task } = loadTask('pendulum-swingup');
  const bus = new InProcessBus({ loggerFactory: (n) => new MemoryLogger(n) });
  try {
    const records: TransitionRecord[] = [];
    let failNext = false;
    const logger = new DataLoggerNode(bus.createNode('logger'), {
      task,
      sink: {
        append: (r) => {
          if (failNext) {
            failNext = false;
            throw new Error('disk full');
          }
          records.push(r);
        },
      },
      refitEveryTransitions: 2,
    });
    const world = bus.createNode('world');
    const pub = world.createPublisher('mbrl_msgs/msg/ControlTick', 'control_ticks', { qos: 'record' });
    const requests: string[] = [];
    world.createSubscription('std_msgs/msg/String', 'refit_request', (m) => requests.push(m.data));
    pub.publish(tickMsg(0, 0.1));
    pub.publish(tickMsg(1, 0.2));
    pub.publish(tickMsg(3, 0.4)); // step 2 lost: no transition across the gap
    // Three malformed ticks are rejected; the sink then fails once (3 -> 4 is lost, counted).
    pub.publish(tickMsg(4, Number.NaN));
    pub.publish(tickMsg(4, 0.5, { source: 'warp' }));
    pub.publish(tickMsg(4, 0.5, { action: [0.1, 0.2] }));
    failNext = true;
    pub.publish(tickMsg(4, 0.5));
    pub.publish(tickMsg(5, 0.6));
    pub.publish(tickMsg(6, 0.7));
    assert.deepEqual(
      records.map((r) => [r.step, r.nextState[0]]),
      [
        [0, 0.2],
        [4, 0.6],
        [5, 0.7],
      ],
    );
    assert.equal(logger.stats.gaps, 1);
    assert.equal(logger.stats.rejectedTicks, 3);
    assert.equal(logger.stats.sinkErrors, 1);
    assert.equal(records[1].modelVersion, 2);
    assert.equal(requests.length, 1);
    assert.deepEqual(JSON.parse(requests[0]), { transitions: 2, reason: '2 new transitions' });
  } finally {
    await bus.shutdown();
  }
});

test('ticks before the controller has any state are not logged: their state is a placeholder', async () => {
  const { task } = loadTask('pendulum-swingup');
  const bus = new InProcessBus({ loggerFactory: (n) => new MemoryLogger(n) });
  try {
    const records: TransitionRecord[] = [];
    const logger = new DataLoggerNode(bus.createNode('logger'), {
      task,
      sink: { append: (r) => records.push(r) },
    });
    const pub = bus
      .createNode('world')
      .createPublisher('mbrl_msgs/msg/ControlTick', 'control_ticks', { qos: 'record' });
    const noState = { has_state: false, source: 'safe', safe_reason: 'no state received' } as const;
    pub.publish(tickMsg(0, 0, noState));
    pub.publish(tickMsg(1, 0, noState));
    pub.publish(tickMsg(2, 0.3));
    pub.publish(tickMsg(3, 0.4));
    assert.deepEqual(
      records.map((r) => [r.step, r.state[0], r.nextState[0]]),
      [[2, 0.3, 0.4]],
    );
    assert.equal(logger.stats.statelessTicks, 2);
    assert.equal(logger.stats.gaps, 0);
  } finally {
    await bus.shutdown();
  }
});

test('transitions that repeat a state the controller then finds stale are dropped, not logged as fresh; a robot at rest is logged', async () => {
  const { task } = loadTask('pendulum-swingup');
  const entries: MemoryLogEntry[] = [];
  const bus = new InProcessBus({ loggerFactory: (n) => new MemoryLogger(n, entries) });
  try {
    const records: TransitionRecord[] = [];
    const logger = new DataLoggerNode(bus.createNode('logger'), {
      task,
      sink: { append: (r) => records.push(r) },
      holdRepeatsSeconds: 0.2,
    });
    const pub = bus
      .createNode('world')
      .createPublisher('mbrl_msgs/msg/ControlTick', 'control_ticks', { qos: 'record' });
    const stale = { source: 'safe', safe_reason: 'state is 0.120 s old' } as const;
    // The sensor stops after the state 0.3: ticks 3 and 4 still act on it (within the stale
    // timeout), tick 5 finds it stale; it comes back at tick 7.
    [0.1, 0.2, 0.3, 0.3, 0.3].forEach((angle, step) => pub.publish(tickMsg(step, angle)));
    assert.equal(records.length, 2, 'repeats are held back');
    pub.publish(tickMsg(5, 0.3, stale));
    pub.publish(tickMsg(6, 0.3, stale));
    pub.publish(tickMsg(7, 0.5));
    pub.publish(tickMsg(8, 0.6));
    assert.deepEqual(
      records.map((r) => [r.step, r.source, r.state[0], r.nextState[0]]),
      [
        [0, 'mpc', 0.1, 0.2],
        [1, 'mpc', 0.2, 0.3],
        [5, 'safe', 0.3, 0.3],
        [6, 'safe', 0.3, 0.5],
        [7, 'mpc', 0.5, 0.6],
      ],
    );
    assert.equal(logger.stats.frozenTransitions, 3);
    assert.equal(logger.stats.gaps, 0);
    assert.ok(
      entries.some(
        (e) => e.level === 'warn' && /3 transitions not logged \(episode 1 steps 2-4\)/.test(e.message),
      ),
    );

    // At rest the state repeats while staying fresh: held at most holdRepeatsSeconds, then logged.
    records.length = 0;
    for (let step = 9; step < 16; step++) pub.publish(tickMsg(step, 0.6));
    // Transition 8 is stamped 0.45 s, 12 is 0.65 s: 0.2 s of repeats, so 8-12 go out together.
    assert.deepEqual(
      records.map((r) => r.step),
      [8, 9, 10, 11, 12],
      'logged once the repeats outlast the hold',
    );
    pub.publish(tickMsg(16, 0.7));
    assert.deepEqual(
      records.map((r) => r.step),
      [8, 9, 10, 11, 12, 13, 14, 15],
    );
    assert.equal(logger.stats.frozenTransitions, 3);
  } finally {
    await bus.shutdown();
  }
});

test('a background sink that fails, drops and recovers is reported in warnings and on /diagnostics', async () => {
  const { task } = loadTask('pendulum-swingup');
  const entries: MemoryLogEntry[] = [];
  const bus = new InProcessBus({ loggerFactory: (n) => new MemoryLogger(n, entries) });
  try {
    const health: TransitionSinkHealth = {
      durable: 5,
      queued: 0,
      dropped: 0,
      failing: false,
      lastError: undefined,
    };
    const logger = new DataLoggerNode(bus.createNode('data_logger'), {
      task,
      sink: { append: () => undefined, dir: '/logs/robot', stats: health },
      healthPeriodSeconds: 0.01,
    });
    const diagnostics: DiagnosticStatusMsg[] = [];
    bus
      .createNode('probe')
      .createSubscription('diagnostic_msgs/msg/DiagnosticArray', '/diagnostics', (m) =>
        diagnostics.push(...m.status),
      );
    const warnings = () => entries.filter((e) => e.level === 'warn').map((e) => e.message);
    await waitFor(() => diagnostics.length > 0, 'diagnostics');
    assert.equal(diagnostics.at(-1)?.level, DiagnosticLevel.OK);

    Object.assign(health, {
      failing: true,
      queued: 12,
      lastError: Object.assign(new Error('no space left on device, write'), { code: 'ENOSPC' }),
    });
    await waitFor(() => diagnostics.at(-1)?.level === DiagnosticLevel.ERROR, 'an ERROR diagnostic');
    assert.equal(diagnostics.at(-1)?.message, 'writes failing: ENOSPC: no space left on device, write');
    assert.equal(diagnostics.at(-1)?.hardware_id, 'transition log /logs/robot');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(warnings(), [
      'transition log /logs/robot: writes failing (ENOSPC: no space left on device, write); 12 transitions waiting in memory, written once the disk works again',
    ]);
    assert.equal(logger.stats.sinkOutages, 1);

    Object.assign(health, { dropped: 7 });
    await waitFor(() => warnings().length === 2, 'the drop warned about');
    assert.match(warnings()[1], /^transition log \/logs\/robot: 7 transitions dropped .*; 7 in all$/);
    assert.equal(
      diagnostics.findLast((d) => d.values.some((v) => v.key === 'dropped' && v.value === '7'))?.level,
      DiagnosticLevel.ERROR,
    );

    Object.assign(health, { failing: false, queued: 0, durable: 30 });
    await waitFor(() => diagnostics.at(-1)?.level === DiagnosticLevel.OK, 'OK again');
    assert.ok(
      entries.some(
        (e) =>
          e.level === 'info' &&
          e.message === 'transition log /logs/robot: writing again (30 transitions durable)',
      ),
    );
    assert.equal(warnings().length, 2);
    logger.destroy();
  } finally {
    await bus.shutdown();
  }
});
