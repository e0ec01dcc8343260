import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TrialResetSchema, type TrialResetInput } from '../../config/robot-schema.js';
import { loadTask } from '../../config/task-loader.js';
import type { TransitionRecord } from '../../datalog/transition-record.js';
import { initialPd } from '../../lqr/initial-controller.js';
import { JointPdPolicy } from '../../policies/joint-pd-policy.js';
import { LinearGaussianPolicy } from '../../policies/linear-gaussian-policy.js';
import { InProcessBus } from '../../runtime/in-process-bus.js';
import { MemoryLogger } from '../../runtime/memory-logger.js';
import { timeToSeconds } from '../../runtime/time.js';
import { TaskEnvironment } from '../../tasks/task-environment.js';
import { ControllerNode } from '../controller/controller-node.js';
import { DataLoggerNode } from '../data-logger/data-logger-node.js';
import { MujocoSimNode } from '../mujoco-sim-node.js';
import { ResetTimeoutError } from './reset-timeout-error.js';
import { TrialRunner, type TrialDriver } from './trial-runner.js';

const loaded = loadTask('reacher-2link');
const { task } = loaded;
const T = task.episode_steps;
const START = [0.1, -0.1, 0, 0];
/** The trial policy drives the arm to this pose, so a trial ends far from START. */
const AWAY = [1.2, -1.0];

/**
 * Reacher on the simulator, controller (lqr: a PD to AWAY; reset: the reset PD), data logger
 * and a trial runner whose driver can only advance the simulation (no teleport) unless
 * `teleport` is set; the simulated robot starts at START.
 */
async function setup(
  resetInput: TrialResetInput,
  options: { teleport?: boolean; driver?: TrialDriver } = {},
) {
  const reset = TrialResetSchema.parse(resetInput);
  const env = await TaskEnvironment.create(loaded);
  const bus = new InProcessBus({ loggerFactory: (n) => new MemoryLogger(n) });
  const sim = new MujocoSimNode(bus.createNode('mujoco_sim', { useSimTime: true }), {
    env,
    mode: 'lockstep',
    seed: 1,
  });
  const lqr = new LinearGaussianPolicy({
    dt: task.dt,
    seed: 1,
    controller: initialPd({
      stateDim: 4,
      horizon: T,
      positionIndices: [0, 1],
      velocityIndices: [2, 3],
      kp: 0.5,
      kd: 0.05,
      targetPose: AWAY,
      variance: 1e-4,
    }),
  });
  const pd = reset.type === 'pd' ? JointPdPolicy.forTask(task, reset) : undefined;
  const controller = new ControllerNode(bus.createNode('controller', { useSimTime: true }), {
    task,
    policies: pd ? { lqr, reset: pd } : { lqr },
    mode: 'stop',
    rateHz: 1 / task.dt,
    staleTimeoutSeconds: 2 * task.dt,
    safeAction: 'zero',
  });
  let teleports = 0;
  const driver: TrialDriver = options.driver ?? {
    advance: () => void sim.advance(),
    teleport: options.teleport
      ? (x) => {
          teleports++;
          sim.reset(x);
        }
      : undefined,
  };
  const runner = new TrialRunner(bus.createNode('trial_runner', { useSimTime: true }), {
    task,
    controller,
    reset,
    resetPolicy: pd,
    driver,
  });
  const logged: TransitionRecord[] = [];
  const logger = new DataLoggerNode(bus.createNode('data_logger', { useSimTime: true }), {
    task,
    sink: runner.trialSink({ append: (r) => logged.push(r) }),
  });
  const operator = bus.createNode('operator', { useSimTime: true });
  const ready = operator.createPublisher('std_msgs/msg/Bool', 'trial/ready');
  const states: string[] = [];
  operator.createSubscription('std_msgs/msg/String', 'trial/state', (m) => states.push(m.data), {
    qos: 'latched',
  });
  sim.reset(START);
  const close = async () => {
    await bus.shutdown();
    env.dispose();
  };
  return {
    env,
    bus,
    sim,
    controller,
    runner,
    logger,
    logged,
    ready,
    operator,
    states,
    teleports: () => teleports,
    close,
  };
}

const positionError = (state: ArrayLike<number>) =>
  Math.max(Math.abs(state[0] - START[0]), Math.abs(state[1] - START[1]));
const speed = (state: ArrayLike<number>) => Math.max(Math.abs(state[2]), Math.abs(state[3]));

test('teleport: each trial starts exactly at the start state; trials are logged, nothing else', async () => {
  const { runner, logged, teleports, close } = await setup({ type: 'teleport' }, { teleport: true });
  try {
    const first = await runner.runTrial(START, T);
    const second = await runner.runTrial(START, T);
    assert.equal(teleports(), 2);
    assert.deepEqual(Array.from(second.states[0]), START);
    assert.ok(positionError(first.states[T]) > 0.5, 'the trial policy moves the arm away');
    assert.equal(first.states.length, T + 1);
    assert.equal(first.actions.length, T);
    assert.equal(first.safeTicks, 0);
    assert.deepEqual(first.reset, {
      type: 'teleport',
      periods: 0,
      seconds: 0,
      positionError: null,
      velocityError: null,
    });
    assert.equal(logged.length, 2 * T);
    assert.deepEqual(
      logged.filter((r) => r.episode === second.episode).map((r) => Array.from(r.state)),
      second.states.slice(0, T).map((s) => Array.from(s)),
    );
  } finally {
    await close();
  }
});

test('teleport needs a driver that can teleport', async () => {
  const { runner, close } = await setup({ type: 'teleport' });
  try {
    await assert.rejects(runner.runTrial(START, T), /reset type teleport needs a simulator/);
  } finally {
    await close();
  }
});

test('pd: drives the simulated arm from the end of a trial back to the start pose, without teleport', async () => {
  const reset = { type: 'pd', kp: 0.5, kd: 0.05, position_tolerance: 0.05, velocity_tolerance: 0.1 } as const;
  const { env, sim, controller, runner, logger, logged, teleports, states, close } = await setup(reset);
  try {
    // The simulator's own state at the moment the runner hands over to the trial.
    let previousMode = controller.mode;
    let atHandover: Float64Array | null = null;
    const advance = sim.advance.bind(sim);
    sim.advance = () => {
      if (previousMode === 'reset' && controller.mode === 'lqr')
        atHandover = env.readState(new Float64Array(4));
      previousMode = controller.mode;
      return advance();
    };
    const first = await runner.runTrial(START, T);
    assert.ok(
      positionError(first.states[T]) > 0.5,
      `trial 1 ends ${positionError(first.states[T])} rad away`,
    );
    const second = await runner.runTrial(START, T);
    assert.equal(teleports(), 0);
    assert.equal(second.reset.type, 'pd');
    assert.ok(second.reset.periods > 10, `took ${second.reset.periods} periods`);
    assert.ok(second.reset.positionError! <= 0.05 && second.reset.velocityError! <= 0.1);
    assert.ok(atHandover, 'the trial started after a PD reset');
    assert.ok(positionError(atHandover) <= 0.05, `simulator at ${Array.from(atHandover)}`);
    assert.ok(speed(atHandover) <= 0.1, `simulator at ${Array.from(atHandover)}`);
    // One period of the PD later the trial's first state is still near the start.
    assert.ok(positionError(second.states[0]) <= 0.06 && speed(second.states[0]) <= 0.15);
    // Reset ticks were paired by the logger but kept out of the trial log.
    assert.ok(logger.stats.transitions > 2 * T, `${logger.stats.transitions} transitions`);
    assert.equal(logged.length, 2 * T);
    assert.ok(
      logged.every(
        (r) => r.source === 'lqr' && (r.episode === first.episode || r.episode === second.episode),
      ),
    );
    assert.ok(states.includes('resetting') && states.includes('running'));
    assert.equal(states.at(-1), 'idle');
  } finally {
    await close();
  }
});

test('pd: a reset that cannot converge times out with a clear error and stops the controller', async () => {
  const { controller, runner, states, close } = await setup({ type: 'pd', kp: 1e-4, kd: 0, timeout_s: 1 });
  try {
    await runner.runTrial(START, T);
    const error = await runner.runTrial(START, T).then(
      () => assert.fail('the reset converged'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof ResetTimeoutError);
    assert.match(
      error.message,
      /^pd reset did not reach the start pose within 1 s \(20 control periods\): max \|q - q0\| = [\d.]+ \(tolerance 0\.05\), max \|qdot\| = [\d.e-]+ \(tolerance 0\.1\); controller stopped$/,
    );
    assert.equal(error.outcome.periods, 20);
    assert.ok(error.outcome.positionError! > 0.5);
    assert.equal(controller.mode, 'stop');
    assert.equal(states.at(-1), 'reset_failed');
  } finally {
    await close();
  }
});

test('pd: a clock that does not move still ends the wait (period backstop)', async () => {
  const { runner, close } = await setup(
    { type: 'pd', kp: 0.5, kd: 0.05, timeout_s: 1 },
    { driver: { advance: () => {} } },
  );
  try {
    await assert.rejects(runner.runTrial(START, T), (e: unknown) => {
      assert.ok(e instanceof ResetTimeoutError);
      assert.equal(e.outcome.periods, 42);
      assert.equal(e.outcome.positionError, null);
      assert.match(e.message, /max \|q - q0\| = unknown \(no fresh state\)/);
      return true;
    });
  } finally {
    await close();
  }
});

test('operator: waits with the safe action until true arrives on trial/ready', async () => {
  const { bus, runner, operator, ready, states, close } = await setup({ type: 'operator', timeout_s: 5 });
  try {
    // A "ready" before the wait began does not count for it.
    ready.publish({ data: true });
    // The operator watches the clock: false after 0.5 s of waiting, true after 1 s.
    let waitingSince: number | null = null;
    let readyAt = NaN;
    operator.createTimer(task.dt, () => {
      const now = timeToSeconds(operator.now());
      if (states.at(-1) !== 'waiting_for_operator') return;
      waitingSince ??= now;
      if (now - waitingSince >= 1 - 1e-9 && Number.isNaN(readyAt)) {
        readyAt = now;
        ready.publish({ data: true });
      } else if (now - waitingSince >= 0.5 - 1e-9) ready.publish({ data: false });
    });
    const commands: number[][] = [];
    const probe = bus.createNode('probe', { useSimTime: true });
    probe.createSubscription('mbrl_msgs/msg/ControlTick', 'control_ticks', (m) => {
      if (m.mode === 'stop') commands.push(m.action);
    });
    const trial = await runner.runTrial(START, T);
    assert.equal(trial.reset.type, 'operator');
    assert.ok(trial.reset.periods >= 20 && trial.reset.periods <= 21, `${trial.reset.periods} periods`);
    assert.ok(trial.startTime > readyAt, `trial at ${trial.startTime}, ready at ${readyAt}`);
    assert.ok(
      commands.length >= 20 && commands.every((a) => a.every((v) => v === 0)),
      'safe action while waiting',
    );
    assert.deepEqual(states.slice(-3), ['waiting_for_operator', 'running', 'idle']);
  } finally {
    await close();
  }
});

test('operator: no go-ahead times out', async () => {
  const { runner, close } = await setup({ type: 'operator', topic: 'cell/ready', timeout_s: 2 });
  try {
    await assert.rejects(
      runner.runTrial(START, T),
      /^ResetTimeoutError: operator reset: no true on cell\/ready within 2 s \(40 control periods\); controller stopped$/,
    );
  } finally {
    await close();
  }
});

test('real time: without advance() the runner follows the controller ticks as they come', async () => {
  const { sim, runner, close } = await setup({ type: 'pd', kp: 0.5, kd: 0.05 }, { driver: {} });
  // Stands in for a real-time clock: the simulation moves on its own, not at the runner's request.
  const pump = setInterval(() => sim.advance(), 0);
  try {
    const first = await runner.runTrial(START, T);
    const second = await runner.runTrial(START, T);
    assert.equal(first.states.length, T + 1);
    assert.equal(second.states.length, T + 1);
    assert.ok(second.reset.periods > 10 && second.reset.positionError! <= 0.05);
  } finally {
    clearInterval(pump);
    await close();
  }
  await assert.rejects(runner.nextTick(), /no control tick for 1 s: is the controller running\?/);
});
