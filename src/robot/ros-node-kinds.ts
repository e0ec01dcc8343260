/**
 * The node kinds `mbrl ros <kind>` starts (the executables of the ROS 2 package, ros/<kind>):
 * one part of a robot config per process, or the whole stack (`robot`). Each kind reads its
 * ROS parameters (docs/ROS2.md) from its main node, so launch files and params files set them.
 *
 * `controller`, `serial_driver` and `mqtt_driver` are managed (lifecycle) nodes: configure
 * loads the robot config and builds the node's publishers and subscriptions (and for drivers
 * loads the device files); activate starts the control loop, or opens the device; deactivate
 * sends the safe command and stops; cleanup releases everything. With `autostart` (default
 * true) they configure and activate themselves at start, as the other kinds simply start.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { packageRoot } from '../config/package-paths.js';
import type { RobotConfig } from '../config/robot-schema.js';
import { loadTask, type LoadedTask } from '../config/task-loader.js';
import type { TeleopKeyboardInput } from '../nodes/teleop/keyboard-input.js';
import { JoystickDeviceNode } from '../nodes/teleop/joystick-device-node.js';
import { TeleopNode } from '../nodes/teleop/teleop-node.js';
import { errorText } from '../runtime/error-text.js';
import { LifecycleTransitionFailure } from '../runtime/lifecycle/lifecycle-transition-failure.js';
import { ScopedNode } from '../runtime/lifecycle/scoped-node.js';
import type {
  LifecycleHandlers,
  ManagedNode,
  NodeOptions,
  RuntimeNode,
  Transport,
} from '../runtime/node-api.js';
import { ControllerPart } from './controller-part.js';
import { loadRobotRunConfig } from './load-robot-run-config.js';
import { createHardwareDriver, createSimDriver, type RobotDriver } from './device-drivers.js';
import { RobotStack } from './robot-stack.js';
import { createRobotDataLogger, openRobotLogWriter } from './robot-data-logger.js';
import { createRobotTrainer } from './robot-trainer.js';
import { declareRosParameter, type RosParameterTable } from './ros-parameters.js';

const STOP_GRACE_MS = 200;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export const ROS_NODE_KINDS = [
  'controller',
  'data_logger',
  'trainer',
  'teleop',
  'serial_driver',
  'mqtt_driver',
  'sim',
  'robot',
] as const;
export type RosNodeKind = (typeof ROS_NODE_KINDS)[number];

export function isRosNodeKind(value: string): value is RosNodeKind {
  return (ROS_NODE_KINDS as readonly string[]).includes(value);
}

export interface RosNodeKindOptions {
  kind: RosNodeKind;
  transport: Transport;
  /** `--config`: wins over the robot_config parameter. */
  configFile?: string;
  /**
   * Node options per node name (namespace, and on the in-process transport the parameter
   * overrides a params file gives that node). On ROS 2 rcl applies --ros-args itself.
   */
  nodeOptions?: (name: string) => NodeOptions;
  /** The node name a `__node` remapping gives the kind's main node. */
  nodeName?: string;
  /** Teleop: the operator's keyboard (a TTY on stdin). */
  keyboard?: TeleopKeyboardInput;
  /** Teleop: receives the status line. */
  status?: (line: string) => void;
}

/** A started node kind. */
export interface RunningRosNode {
  readonly kind: RosNodeKind;
  /** The managed node, for the kinds that have a lifecycle. */
  readonly managed: ManagedNode | null;
  /** What runs, for the start-up line. */
  describe(): string;
  /** Deactivates (safe command) and releases everything; idempotent. */
  stop(): Promise<void>;
}

/**
 * A robot config given as a path (absolute, relative to the working directory or to the
 * package) or as a name in hardware/robots ("cartpole-serial"), as the launch files accept it.
 */
export function resolveRobotConfigPath(value: string): string {
  const trimmed = value.trim();
  if (trimmed === '')
    throw new RangeError(
      'no robot config: give --config <robot.yaml> or the robot_config parameter (a path, or a name in hardware/robots)',
    );
  const root = packageRoot();
  const candidates = isAbsolute(trimmed) ? [trimmed] : [resolve(trimmed), join(root, trimmed)];
  if (!trimmed.includes('/') && !/\.ya?ml$/.test(trimmed))
    candidates.push(join(root, 'hardware', 'robots', `${trimmed}.yaml`));
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new RangeError(`robot config '${trimmed}' not found (tried: ${candidates.join(', ')})`);
  return found;
}

interface Loaded {
  config: RobotConfig;
  task: LoadedTask;
  file: string;
}

function loadConfigFor(
  node: RuntimeNode,
  table: keyof RosParameterTable,
  configFile: string | undefined,
): Loaded {
  const parameter = declareRosParameter(node, table, 'robot_config');
  const file = resolveRobotConfigPath(configFile ?? parameter);
  const config = loadRobotRunConfig(file);
  // The node clock is fixed when the node is made (use_sim_time); the config says what it expects.
  const wantsSim = config.control.clock === 'sim';
  if (wantsSim !== node.clock.isSimTime)
    node.logger.warn(
      `${file}: control.clock is ${config.control.clock} but use_sim_time is ${node.clock.isSimTime}: state stamps and the node clock will disagree (set use_sim_time:=${wantsSim})`,
    );
  return { config, task: loadTask(config.task), file };
}

/**
 * The entry of the config's `drivers` a driver node runs: `requested` (driver_index), or for -1
 * the first of `type`. A string says why none fits, naming the file and the index.
 */
function driverIndexFor(loaded: Loaded, type: string, requested: number): number | string {
  const index = requested >= 0 ? requested : loaded.config.drivers.findIndex((d) => d.type === type);
  const entry = loaded.config.drivers[index];
  if (entry?.type === type) return index;
  return requested >= 0
    ? `driver_index ${requested}: drivers[${requested}] of ${loaded.file} is ${entry ? `a ${entry.type} driver` : 'missing'}, not ${type}`
    : `${loaded.file} lists no ${type} driver`;
}

function learns(config: RobotConfig): boolean {
  return config.controller.type === 'pets';
}

function defaultLogDir(
  node: RuntimeNode,
  table: 'data_logger' | 'trainer' | 'robot',
  config: RobotConfig,
): string {
  const dir = declareRosParameter(node, table, 'log_dir');
  return resolve(dir || config.logger.dir);
}

export async function startRosNodeKind(options: RosNodeKindOptions): Promise<RunningRosNode> {
  switch (options.kind) {
    case 'controller':
      return startManagedController(options);
    case 'serial_driver':
    case 'mqtt_driver':
      return startManagedDriver(options, options.kind === 'serial_driver' ? 'serial' : 'mqtt');
    case 'data_logger':
      return startDataLogger(options);
    case 'trainer':
      return startTrainer(options);
    case 'teleop':
      return startTeleop(options);
    case 'sim':
      return startSim(options);
    case 'robot':
      return startRobot(options);
  }
}

function nodeOptionsFor(options: RosNodeKindOptions, name: string): NodeOptions {
  return options.nodeOptions?.(name) ?? {};
}

/** Lifecycle plumbing shared by the managed kinds: autostart, and stop = deactivate + shutdown. */
async function managedKind(
  options: RosNodeKindOptions,
  table: 'controller' | 'driver',
  managed: ManagedNode,
  describe: () => string,
  release: () => Promise<void>,
): Promise<RunningRosNode> {
  const node = managed.node;
  const autostart = declareRosParameter(node, table, 'autostart');
  if (autostart) {
    for (const transition of ['configure', 'activate'] as const) {
      const result = managed.trigger(transition);
      if (!result.successful) {
        managed.trigger('shutdown');
        await release();
        node.destroy();
        // The reason names the node, the transition and what was wrong (a config error, a file).
        throw new RangeError(result.reason);
      }
    }
  } else {
    node.logger.info(
      `unconfigured: waiting for \`ros2 lifecycle set ${node.namespace === '/' ? '' : node.namespace}/${node.name} configure\``,
    );
  }
  let stopped: Promise<void> | null = null;
  return {
    kind: options.kind,
    managed,
    describe,
    stop: () =>
      (stopped ??= (async () => {
        // Shutdown from active deactivates first (the safe command goes out), then releases.
        const wasActive = managed.state === 'active';
        if (managed.state !== 'finalized') managed.trigger('shutdown');
        // A bounded grace for the last command to leave before its publisher and the transport
        // are destroyed (DDS may publish asynchronously); the robot's watchdog covers the rest.
        if (wasActive) await sleep(STOP_GRACE_MS);
        await release();
        node.destroy();
      })()),
  };
}

function startManagedController(options: RosNodeKindOptions): Promise<RunningRosNode> {
  let part: ControllerPart | null = null;
  let scope: ScopedNode | null = null;
  let loaded: Loaded | null = null;
  const pending: Promise<void>[] = [];
  const name = options.nodeName ?? 'controller';
  const release = (): void => {
    if (part) {
      const stopping = part
        .stop()
        .catch((err: unknown) => managed.node.logger.error(`stop: ${errorText(err)}`));
      pending.push(stopping);
    }
    scope?.destroy();
    part = null;
    scope = null;
  };
  const managed: ManagedNode = options.transport.createManagedNode(
    name,
    {
      onConfigure: () => {
        // Configure may run again (after a failure or cleanup): parameters are declared once.
        const node = new ScopedNode(managed.node);
        try {
          loaded = loadConfigFor(node, 'controller', options.configFile);
        } catch (err) {
          // A config that does not load is a refused transition: fix it and configure again.
          throw new LifecycleTransitionFailure(errorText(err));
        }
        const mode = declareRosParameter(node, 'controller', 'mode');
        if (mode !== '' && mode !== 'teleop')
          throw new LifecycleTransitionFailure(`parameter 'mode' must be '' or 'teleop', got '${mode}'`);
        const seed = declareRosParameter(node, 'controller', 'seed');
        scope = new ScopedNode(managed.node);
        part = new ControllerPart({
          config: loaded.config,
          task: loaded.task,
          purpose: mode === 'teleop' ? 'teleop' : 'run',
          seed,
          node: scope,
          inactive: true,
        });
      },
      onActivate: () => {
        if (!part) throw new LifecycleTransitionFailure('not configured');
        part.controller.resetEpisode();
        part.controller.activate();
      },
      onDeactivate: () => part?.controller.deactivate(),
      onCleanup: release,
      onShutdown: (from) => {
        if (from === 'active') part?.controller.deactivate();
        release();
      },
      // A transition that threw: the safe command first (if the loop still runs), then release.
      onError: () => {
        try {
          part?.controller.deactivate();
        } finally {
          release();
        }
      },
    },
    nodeOptionsFor(options, name),
  );
  return managedKind(
    options,
    'controller',
    managed,
    () => {
      const c = loaded?.config;
      return c
        ? `controller for ${c.robot} (${c.controller.type}) at ${c.control.rate_hz} Hz, ${managed.state}`
        : `controller, ${managed.state}`;
    },
    async () => {
      await Promise.allSettled(pending);
    },
  );
}

function startManagedDriver(options: RosNodeKindOptions, type: 'serial' | 'mqtt'): Promise<RunningRosNode> {
  let driver: RobotDriver | null = null;
  let scope: ScopedNode | null = null;
  let build: (() => void) | null = null;
  const closing: Promise<void>[] = [];
  const name = options.nodeName ?? `${type}_driver`;
  /** Closes the current driver (its safe command goes out first) and releases its entities after. */
  const closeDriver = (): void => {
    const d = driver;
    const s = scope;
    driver = null;
    scope = null;
    if (!d) return;
    const closed: Promise<void> = d
      .close()
      .catch((err: unknown) => managed.node.logger.error(`close: ${errorText(err)}`))
      .finally(() => {
        s?.destroy();
        closing.splice(closing.indexOf(closed), 1);
      });
    closing.push(closed);
  };
  const managed: ManagedNode = options.transport.createManagedNode(
    name,
    {
      onConfigure: () => {
        const node = new ScopedNode(managed.node);
        let loaded: Loaded;
        try {
          loaded = loadConfigFor(node, 'driver', options.configFile);
        } catch (err) {
          throw new LifecycleTransitionFailure(errorText(err));
        }
        const { config, task } = loaded;
        const index = driverIndexFor(loaded, type, declareRosParameter(node, 'driver', 'driver_index'));
        if (typeof index === 'string') throw new LifecycleTransitionFailure(index);
        build = () => {
          scope = new ScopedNode(managed.node);
          driver = createHardwareDriver(
            index,
            {
              bus: options.transport,
              config,
              task,
              seed: 1,
              topics: { jointStates: config.topics.joint_states, command: config.topics.command },
            },
            scope,
          );
        };
        try {
          build();
        } catch (err) {
          scope?.destroy();
          throw new LifecycleTransitionFailure(errorText(err));
        }
      },
      onActivate: () => {
        if (!driver) build?.();
        const d = driver;
        if (closing.length === 0) {
          d?.start();
          return;
        }
        // A device still closing (deactivate just before): open it again once it is released.
        void Promise.allSettled(closing).then(() => {
          if (driver === d && managed.state === 'active') d?.start();
        });
      },
      // The safe command goes out now; the device is released; a fresh driver waits for activate.
      onDeactivate: () => {
        closeDriver();
        build?.();
      },
      onCleanup: () => {
        closeDriver();
        build = null;
      },
      onShutdown: () => {
        closeDriver();
        build = null;
      },
      onError: () => {
        closeDriver();
        build = null;
      },
    },
    nodeOptionsFor(options, name),
  );
  return managedKind(
    options,
    'driver',
    managed,
    () => `${type} driver ${driver?.name ?? ''}, ${managed.state}`,
    async () => {
      await Promise.allSettled(closing);
    },
  );
}

async function startDataLogger(options: RosNodeKindOptions): Promise<RunningRosNode> {
  const name = options.nodeName ?? 'data_logger';
  const node = options.transport.createNode(name, nodeOptionsFor(options, name));
  try {
    const { config, task } = loadConfigFor(node, 'data_logger', options.configFile);
    const logDir = defaultLogDir(node, 'data_logger', config);
    const writer = await openRobotLogWriter(config, task, logDir);
    const logger = createRobotDataLogger(node, config, task, writer, learns(config));
    let stopped: Promise<void> | null = null;
    return {
      kind: 'data_logger',
      managed: null,
      describe: () => `data logger for ${config.robot}, logging to ${logDir}`,
      stop: () =>
        (stopped ??= (async () => {
          logger.destroy();
          try {
            await writer.close();
          } finally {
            node.destroy();
          }
        })()),
    };
  } catch (err) {
    node.destroy();
    throw err;
  }
}

async function startTrainer(options: RosNodeKindOptions): Promise<RunningRosNode> {
  const name = options.nodeName ?? 'trainer';
  const node = options.transport.createNode(name, nodeOptionsFor(options, name));
  try {
    const { config, task, file } = loadConfigFor(node, 'trainer', options.configFile);
    if (!learns(config))
      throw new RangeError(
        `${file}: controller ${config.controller.type} does not learn; only pets has a trainer`,
      );
    const logDir = defaultLogDir(node, 'trainer', config);
    const modelsParam = declareRosParameter(node, 'trainer', 'models_dir');
    const seed = declareRosParameter(node, 'trainer', 'seed');
    const modelsDir = resolve(modelsParam || join(logDir, '..', 'models'));
    // Another process writes the log: a refit reads what its logger has flushed so far.
    const trainer = createRobotTrainer(node, { config, task, seed, logDir, modelsDir });
    let stopped: Promise<void> | null = null;
    return {
      kind: 'trainer',
      managed: null,
      describe: () => `trainer for ${config.robot}: refits from ${logDir} into ${modelsDir}`,
      stop: () =>
        (stopped ??= (async () => {
          try {
            await trainer.close();
          } finally {
            node.destroy();
          }
        })()),
    };
  } catch (err) {
    node.destroy();
    throw err;
  }
}

async function startTeleop(options: RosNodeKindOptions): Promise<RunningRosNode> {
  const name = options.nodeName ?? 'teleop';
  const node = options.transport.createNode(name, nodeOptionsFor(options, name));
  let joystick: JoystickDeviceNode | null = null;
  try {
    const { config, task } = loadConfigFor(node, 'teleop', options.configFile);
    const device = declareRosParameter(node, 'teleop', 'joystick');
    const modeKeys = declareRosParameter(node, 'teleop', 'mode_keys');
    const teleop = new TeleopNode(node, {
      task: task.task,
      config: config.teleop,
      input: options.keyboard,
      status: options.status,
      topics: { estop: config.topics.estop, mode: config.topics.mode },
      modeKeys,
    });
    if (device) {
      const joy = config.teleop.joy;
      if (!joy) throw new RangeError("parameter 'joystick' needs a teleop.joy section in the robot config");
      // On the teleop node itself: a `__node` remapping renames every node of a process.
      joystick = new JoystickDeviceNode(new ScopedNode(node), { path: device, topic: joy.topic });
      joystick.start();
    }
    teleop.start();
    let stopped: Promise<void> | null = null;
    return {
      kind: 'teleop',
      managed: null,
      describe: () =>
        `teleop for ${config.robot}${options.keyboard ? ' (keyboard)' : ' (no keyboard: stdin is not a terminal)'}${device ? `, joystick ${device}` : ''}`,
      stop: () =>
        (stopped ??= (async () => {
          joystick?.destroy();
          teleop.destroy();
          node.destroy();
        })()),
    };
  } catch (err) {
    joystick?.destroy();
    node.destroy();
    throw err;
  }
}

async function startSim(options: RosNodeKindOptions): Promise<RunningRosNode> {
  // The launch files name this node driver_<i>_sim, as `mbrl run` names its simulator.
  const name = options.nodeName ?? 'sim';
  const node = options.transport.createNode(name, nodeOptionsFor(options, name));
  try {
    const loaded = loadConfigFor(node, 'sim', options.configFile);
    const { config, task } = loaded;
    const index = driverIndexFor(loaded, 'sim', declareRosParameter(node, 'sim', 'driver_index'));
    if (typeof index === 'string') throw new RangeError(index);
    const seed = declareRosParameter(node, 'sim', 'seed');
    const driver = await createSimDriver(
      index,
      {
        bus: options.transport,
        config,
        task,
        seed,
        topics: { jointStates: config.topics.joint_states, command: config.topics.command },
      },
      node,
    );
    driver.start();
    let stopped: Promise<void> | null = null;
    return {
      kind: 'sim',
      managed: null,
      describe: () => `embedded MuJoCo simulator of ${task.task.name} (real time)`,
      stop: () =>
        (stopped ??= (async () => {
          try {
            await driver.close();
          } finally {
            node.destroy();
          }
        })()),
    };
  } catch (err) {
    node.destroy();
    throw err;
  }
}

async function startRobot(options: RosNodeKindOptions): Promise<RunningRosNode> {
  // The stack makes its own nodes (controller, data_logger, ...); this one carries the parameters.
  const name = options.nodeName ?? 'robot';
  const params = options.transport.createNode(name, nodeOptionsFor(options, name));
  let loaded: Loaded;
  let stack: RobotStack;
  try {
    loaded = loadConfigFor(params, 'robot', options.configFile);
    const mode = declareRosParameter(params, 'robot', 'mode');
    if (mode !== '' && mode !== 'teleop')
      throw new RangeError(`parameter 'mode' must be '' or 'teleop', got '${mode}'`);
    const logDir = defaultLogDir(params, 'robot', loaded.config);
    const modelsDir = declareRosParameter(params, 'robot', 'models_dir');
    const seed = declareRosParameter(params, 'robot', 'seed');
    const joystick = declareRosParameter(params, 'robot', 'joystick');
    stack = await RobotStack.create({
      config: loaded.config,
      task: loaded.task,
      purpose: mode === 'teleop' ? 'teleop' : 'run',
      logDir,
      modelsDir: modelsDir ? resolve(modelsDir) : undefined,
      seed,
      joystick: joystick || undefined,
      keyboard: mode === 'teleop' ? options.keyboard : undefined,
      status: options.status,
      transport: new SharedTransport(options.transport, (n) => nodeOptionsFor(options, n)),
    });
  } catch (err) {
    params.destroy();
    throw err;
  }
  stack.start();
  let stopped: Promise<void> | null = null;
  return {
    kind: 'robot',
    managed: null,
    describe: () =>
      `robot ${loaded.config.robot} (${loaded.task.task.name}) at ${loaded.config.control.rate_hz} Hz, controller ${loaded.config.controller.type}, logging to ${stack.logDir}`,
    stop: () =>
      (stopped ??= (async () => {
        try {
          await stack.stop();
        } finally {
          params.destroy();
        }
      })()),
  };
}

/**
 * The process's transport lent to a RobotStack: the stack destroys the nodes it made when it
 * stops, but shutting the transport down stays with the process (`mbrl ros`).
 */
class SharedTransport implements Transport {
  private readonly nodes: RuntimeNode[] = [];
  constructor(
    private readonly inner: Transport,
    private readonly defaults: (name: string) => NodeOptions,
  ) {}
  get kind(): Transport['kind'] {
    return this.inner.kind;
  }
  createNode(name: string, options?: NodeOptions): RuntimeNode {
    const node = this.inner.createNode(name, { ...this.defaults(name), ...options });
    this.nodes.push(node);
    return node;
  }
  createManagedNode(name: string, handlers: LifecycleHandlers, options?: NodeOptions): ManagedNode {
    const managed = this.inner.createManagedNode(name, handlers, { ...this.defaults(name), ...options });
    this.nodes.push(managed.node);
    return managed;
  }
  async shutdown(): Promise<void> {
    for (const node of this.nodes.splice(0).reverse()) node.destroy();
  }
}
