/**
 * The operator's input device as a node: keyboard keys step the command, joystick axes set
 * it, and the current command (one value per task action) goes out on `teleop/command`
 * (std_msgs/Float64MultiArray) at `rate_hz`, so the controller's teleop freshness check keeps
 * passing while the operator holds a value. Changes are published at once as well.
 *
 * This is an input device, not a safety layer (the controller clamps and rate limits every
 * action), but it must not turn a dead input into a fresh command: a joystick that stops
 * publishing, a released dead-man button, a closed keyboard and an e-stop all zero the
 * command, and while the e-stop is on the command stays zero so releasing it cannot make
 * the robot jump to values typed in the meantime.
 */
import type { TeleopConfig } from '../../config/robot-schema.js';
import type { Task } from '../../config/task-schema.js';
import { float64Array, type JoyMsg } from '../../runtime/messages.js';
import type { Publisher, RuntimeNode, Subscription, Timer } from '../../runtime/node-api.js';
import { ThrottledWarning } from '../../runtime/throttled-warning.js';
import { CTRL_C, type TeleopKeyboardInput } from './keyboard-input.js';

export interface TeleopNodeOptions {
  task: Task;
  config: TeleopConfig;
  /** Keyboard; start() starts it, destroy() stops it (restoring the terminal). None = no keys. */
  input?: TeleopKeyboardInput;
  /** Receives the status line after every change and at about 5 Hz (e.g. StatusLine.update). */
  status?: (line: string) => void;
  /** Called on Ctrl-C or 'q', after the command has been zeroed and published. */
  onQuit?: () => void;
  topics?: {
    /** Default 'teleop/command' (what TeleopPolicy.subscribe reads). */
    command?: string;
    /** std_msgs/Bool, default 'estop'. */
    estop?: string;
    /** std_msgs/String, default 'mode': read to show the controller's mode; written by mode keys. */
    mode?: string;
  };
  /** Mode keys (config.keyboard.mode_keys) switch the controller's mode; off for pure teleop. */
  modeKeys?: boolean;
}

export interface TeleopStats {
  /** Keys received from the input (or press()), including ignored ones. */
  keys: number;
  /** Joy messages received, including rejected ones. */
  joyMessages: number;
  joyRejected: number;
  /** Command messages published. */
  published: number;
}

/** Default key pairs (minus, plus) for actions 1-4 when the config maps none. */
export const DEFAULT_KEY_PAIRS: readonly (readonly [string, string])[] = [
  ['a', 'd'],
  ['j', 'l'],
  ['z', 'c'],
  ['u', 'o'],
];

const QUIT_KEY = 'q';
const STATUS_PERIOD_S = 0.2;

interface KeyBinding {
  key: string;
  action: number;
  delta: number;
}

interface AxisBinding {
  axis: number;
  action: number;
  scale: number;
  deadzone: number;
}

type JoyState = 'waiting' | 'live' | 'deadman released' | 'lost';

export class TeleopNode {
  readonly stats: TeleopStats = { keys: 0, joyMessages: 0, joyRejected: 0, published: 0 };
  private readonly value: Float64Array;
  private readonly low: Float64Array;
  private readonly high: Float64Array;
  private readonly neutral: Float64Array;
  private readonly decimals: number[];
  private readonly bindings = new Map<string, KeyBinding>();
  private readonly axes: AxisBinding[] = [];
  private readonly legend: string;
  private readonly commandPub: Publisher<'std_msgs/msg/Float64MultiArray'>;
  private readonly estopPub: Publisher<'std_msgs/msg/Bool'>;
  private readonly modePub: Publisher<'std_msgs/msg/String'> | null;
  private readonly subscriptions: Subscription[] = [];
  private readonly timers: Timer[] = [];
  private readonly detachInput: (() => void)[] = [];
  private readonly warnings: ThrottledWarning;
  private readonly joy: TeleopConfig['joy'];
  private readonly joyTopic: string | undefined;
  /** Highest axis / button index the joy config reads; a message must have at least that many. */
  private readonly joyAxesNeeded: number;
  private readonly joyButtonsNeeded: number;
  private estop = false;
  private controllerMode: string | null = null;
  private joyState: JoyState = 'waiting';
  private lastJoyAt = -Infinity;
  private previousButtons: boolean[] = [];
  private started = false;
  private destroyed = false;

  constructor(
    private readonly node: RuntimeNode,
    private readonly options: TeleopNodeOptions,
  ) {
    const { task, config } = options;
    if (!(config.rate_hz > 0)) throw new RangeError(`teleop rate must be positive, got ${config.rate_hz}`);
    this.warnings = new ThrottledWarning(node.logger);
    this.low = Float64Array.from(task.action, (a) => a.min);
    this.high = Float64Array.from(task.action, (a) => a.max);
    // "Zero" is 0 pulled into the bounds, in case a task's range excludes 0.
    this.neutral = Float64Array.from(task.action, (a) => Math.min(a.max, Math.max(a.min, 0)));
    this.value = Float64Array.from(this.neutral);
    // Enough decimals to show a hundredth of the range, at least 2.
    this.decimals = task.action.map((a) =>
      Math.min(6, Math.max(2, Math.ceil(-Math.log10((a.max - a.min) / 100)))),
    );
    this.bindKeys();
    this.legend = this.buildLegend();
    const joy = config.joy;
    this.joy = joy;
    this.joyTopic = joy?.topic;
    for (const a of joy?.axes ?? [])
      this.axes.push({
        axis: a.axis,
        action: this.actionIndex(a.action, 'joy axis'),
        scale: a.scale,
        deadzone: a.deadzone,
      });
    this.joyAxesNeeded = Math.max(0, ...this.axes.map((a) => a.axis + 1));
    const buttons = [joy?.deadman_button, joy?.estop_button, joy?.release_button].filter(
      (b): b is number => b !== undefined,
    );
    this.joyButtonsNeeded = Math.max(0, ...buttons.map((b) => b + 1));

    const topics = options.topics ?? {};
    const estopTopic = topics.estop ?? 'estop';
    const commandTopic = topics.command ?? 'teleop/command';
    this.commandPub = node.createPublisher('std_msgs/msg/Float64MultiArray', commandTopic, {
      qos: 'command',
    });
    // Latched: the controller subscribes transient_local, which a volatile publisher cannot
    // serve on ROS 2, and a controller (re)started after the press still learns the e-stop.
    this.estopPub = node.createPublisher('std_msgs/msg/Bool', estopTopic, { qos: 'latched' });
    // Latched like the controller's subscription, so a controller that restarts learns the mode.
    this.modePub = options.modeKeys
      ? node.createPublisher('std_msgs/msg/String', topics.mode ?? 'mode', { qos: 'latched' })
      : null;
    const onMode = (data: unknown) => {
      if (typeof data !== 'string') return;
      this.controllerMode = data.slice(0, 40);
      this.emitStatus();
    };
    this.subscriptions.push(
      // The e-stop topic is shared: follow it so an e-stop from elsewhere also zeroes and shows here.
      node.createSubscription('std_msgs/msg/Bool', estopTopic, (m) => this.onEstopMessage(m.data), {
        qos: 'latched',
      }),
      node.createSubscription('std_msgs/msg/String', topics.mode ?? 'mode', (m) => onMode(m.data), {
        qos: 'latched',
      }),
    );
    if (joy) {
      const onJoy = (m: JoyMsg) => this.onJoy(m);
      this.subscriptions.push(
        node.createSubscription('sensor_msgs/msg/Joy', joy.topic, onJoy, { qos: 'sensorData' }),
      );
    }
    const input = options.input;
    if (input)
      this.detachInput.push(
        input.onKey((key) => {
          // Keys arrive in a stream 'data' event, where a throw would take the process down.
          try {
            this.press(key);
          } catch (error) {
            this.node.logger.error(`teleop: key ${JSON.stringify(key)} failed: ${(error as Error).message}`);
          }
        }),
        input.onClose((reason) => this.onInputClosed(reason)),
        () => input.stop(),
      );
  }

  /**
   * Starts the keyboard (raw mode on a TTY), the periodic republish and the status updates,
   * and publishes the current command once. Kept out of the constructor so building a stack
   * that then fails does not leave the terminal in raw mode. Idempotent.
   */
  start(): void {
    if (this.started || this.destroyed) return;
    this.started = true;
    this.timers.push(
      this.node.createTimer(1 / this.options.config.rate_hz, () => this.onTimer()),
      this.node.createTimer(STATUS_PERIOD_S, () => this.emitStatus()),
    );
    this.options.input?.start();
    this.publishCommand();
    this.emitStatus();
  }

  /** The operator's current command, one value per task action (a copy). */
  get command(): number[] {
    return Array.from(this.value);
  }

  get estopActive(): boolean {
    return this.estop;
  }

  /** The controller mode last seen on the mode topic; null until one arrives. */
  get mode(): string | null {
    return this.controllerMode;
  }

  /** Handles one key as if typed (what the keyboard input calls). Unknown keys are ignored. */
  press(key: string): void {
    if (this.destroyed) return;
    this.stats.keys++;
    const { keyboard } = this.options.config;
    const k = this.resolveKey(key);
    if (k === CTRL_C || k === QUIT_KEY) {
      this.quit();
      return;
    }
    const mode = this.modePub ? keyboard.mode_keys[k] : undefined;
    if (mode !== undefined) {
      // Taking over starts from neutral, not from nudges typed while another mode drove.
      if (mode === 'teleop') {
        this.value.set(this.neutral);
        this.publishCommand();
      }
      this.modePub?.publish({ data: mode });
      this.emitStatus();
      return;
    }
    if (k === keyboard.estop_key) this.setEstop(true);
    else if (k === keyboard.release_key) this.setEstop(false);
    else if (k === keyboard.zero_key) this.value.set(this.neutral);
    else {
      const binding = this.bindings.get(k);
      if (!binding) return;
      // While the e-stop is on the command stays neutral (see the file comment).
      if (!this.estop) {
        const i = binding.action;
        // Rounding keeps repeated steps on exact multiples (0.3, not 0.30000000000000004).
        this.value[i] = this.clamp(i, Math.round((this.value[i] + binding.delta) * 1e9) / 1e9);
      }
    }
    this.publishCommand();
    this.emitStatus();
  }

  /** The status line, e.g. `teleop  cart_force +0.30 [-1, 1]  estop: off  keys: a/d cart_force, ...`. */
  statusLine(): string {
    const parts = ['teleop'];
    this.options.task.action.forEach((a, i) => {
      parts.push(`${a.name} ${signed(this.value[i], this.decimals[i])} [${a.min}, ${a.max}]`);
    });
    parts.push(`estop: ${this.estop ? 'ON' : 'off'}`);
    if (this.controllerMode !== null) parts.push(`mode: ${this.controllerMode}`);
    if (this.joy) {
      const held = this.joyState === 'live' && this.joy.deadman_button !== undefined;
      parts.push(`joy: ${held ? 'deadman held' : this.joyState}`);
    }
    parts.push(`keys: ${this.legend}`);
    return parts.join('  ');
  }

  /** Cancels timers, detaches and stops the keyboard, and publishes a final neutral command. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const timer of this.timers) timer.cancel();
    for (const subscription of this.subscriptions) subscription.destroy();
    for (const detach of this.detachInput) detach();
    this.value.set(this.neutral);
    try {
      this.publishCommand(true);
    } catch (error) {
      // The runtime node may have been destroyed first; then its publisher is gone too.
      this.node.logger.warn(`teleop: could not publish the final zero command: ${(error as Error).message}`);
    }
    this.emitStatus();
  }

  private quit(): void {
    this.value.set(this.neutral);
    this.publishCommand();
    this.emitStatus();
    if (this.options.onQuit) this.options.onQuit();
    else this.node.logger.warn('teleop: quit requested but no quit handler is set; command zeroed');
  }

  private setEstop(on: boolean): void {
    this.estopPub.publish({ data: on });
    // Also set here: the subscription sees it too on the bus, but on ROS 2 only if local
    // publications are delivered, and the zeroing must not depend on that.
    this.onEstopMessage(on);
  }

  private onEstopMessage(on: unknown): void {
    if (typeof on !== 'boolean') return;
    if (on && !this.estop) {
      this.value.set(this.neutral);
      this.publishCommand();
    }
    if (on !== this.estop) this.node.logger.warn(on ? 'e-stop set' : 'e-stop released');
    this.estop = on;
    this.emitStatus();
  }

  private onTimer(): void {
    if (this.joyState === 'live' || this.joyState === 'deadman released') {
      const age = this.node.clock.nowSeconds() - this.lastJoyAt;
      if (age > this.options.config.timeout_s) {
        // A silent joystick must not keep its last deflection alive through our republishing.
        const wasLive = this.joyState === 'live';
        if (wasLive) this.value.set(this.neutral);
        this.joyState = 'lost';
        this.node.logger.warn(
          `joystick silent for ${age.toFixed(3)} s on ${this.joyTopic}${wasLive ? ': command zeroed' : ''}`,
        );
        this.emitStatus();
      }
    }
    this.publishCommand();
  }

  private onJoy(msg: JoyMsg): void {
    if (this.destroyed) return;
    this.stats.joyMessages++;
    const problem = this.joyProblem(msg);
    if (problem !== null) {
      this.stats.joyRejected++;
      this.warnings.warn(`${this.joyTopic}: ignored Joy message: ${problem}`, 'joy');
      return;
    }
    const joy = this.joy;
    if (!joy) return;
    const pressed = (i: number) => msg.buttons[i] !== 0;
    const rising = (i: number | undefined) => i !== undefined && pressed(i) && !this.previousButtons[i];
    const before = Float64Array.from(this.value);
    const estopBefore = this.estop;
    // Release first, so pressing both at once leaves the e-stop set.
    if (rising(joy.release_button)) this.setEstop(false);
    if (rising(joy.estop_button)) this.setEstop(true);
    const live = joy.deadman_button === undefined || pressed(joy.deadman_button);
    if (!live && this.joyState === 'live') this.value.set(this.neutral);
    this.joyState = live ? 'live' : 'deadman released';
    this.lastJoyAt = this.node.clock.nowSeconds();
    if (live && !this.estop)
      for (const a of this.axes) {
        const x = Math.max(-1, Math.min(1, msg.axes[a.axis]));
        this.value[a.action] = this.clamp(a.action, a.scale * deadZone(x, a.deadzone));
      }
    this.previousButtons = Array.from(msg.buttons, (b) => b !== 0);
    if (this.value.some((v, i) => v !== before[i])) this.publishCommand();
    if (this.value.some((v, i) => v !== before[i]) || this.estop !== estopBefore) this.emitStatus();
  }

  /** Why a Joy message cannot be used, or null. */
  private joyProblem(msg: unknown): string | null {
    if (typeof msg !== 'object' || msg === null) return 'not a message object';
    const { axes, buttons } = msg as Partial<Record<'axes' | 'buttons', unknown>>;
    for (const [field, list, needed] of [
      ['axes', axes, this.joyAxesNeeded],
      ['buttons', buttons, this.joyButtonsNeeded],
    ] as const) {
      if (!isNumberList(list)) return `${field} is not an array of numbers`;
      for (let i = 0; i < list.length; i++)
        if (typeof list[i] !== 'number' || !Number.isFinite(list[i]))
          return `${field}[${i}] = ${String(list[i])} is not a finite number`;
      if (list.length < needed) return `expected at least ${needed} ${field}, got ${list.length}`;
    }
    return null;
  }

  private onInputClosed(reason: string): void {
    if (this.destroyed) return;
    // Nobody can change or stop a held value from a closed keyboard: stop asserting it.
    this.node.logger.warn(`teleop keyboard: ${reason}; command zeroed`);
    this.value.set(this.neutral);
    this.publishCommand();
    this.emitStatus();
  }

  /** Publishes the current command; before start() (or after destroy) only when forced. */
  private publishCommand(force = false): void {
    if (!force && (!this.started || this.destroyed)) return;
    this.commandPub.publish(float64Array(Array.from(this.value)));
    this.stats.published++;
  }

  private emitStatus(): void {
    if (this.started) this.options.status?.(this.statusLine());
  }

  private clamp(i: number, v: number): number {
    return Math.min(this.high[i], Math.max(this.low[i], v));
  }

  /** Caps Lock should not disable the keys: an unmapped capital falls back to its lower case. */
  private resolveKey(key: string): string {
    if (this.isMapped(key) || !/^[A-Z]$/.test(key)) return key;
    return key.toLowerCase();
  }

  private isMapped(key: string): boolean {
    const { keyboard } = this.options.config;
    return (
      this.bindings.has(key) ||
      key === keyboard.zero_key ||
      key === keyboard.estop_key ||
      key === keyboard.release_key ||
      (this.options.modeKeys === true && key in keyboard.mode_keys) ||
      key === QUIT_KEY
    );
  }

  private actionIndex(name: string, what: string): number {
    const i = this.options.task.action.findIndex((a) => a.name === name);
    if (i < 0)
      throw new RangeError(
        `teleop ${what}: unknown action "${name}" (task actions: ${this.options.task.action.map((a) => a.name).join(', ')})`,
      );
    return i;
  }

  private bindKeys(): void {
    const { keyboard } = this.options.config;
    const { action } = this.options.task;
    const special = new Map<string, string>([
      [QUIT_KEY, 'quit'],
      [CTRL_C, 'quit'],
    ]);
    for (const [key, role] of [
      [keyboard.zero_key, 'zero_key'],
      [keyboard.estop_key, 'estop_key'],
      [keyboard.release_key, 'release_key'],
    ] as const) {
      const taken = special.get(key);
      if (taken) throw new RangeError(`teleop keyboard: ${role} ${showKey(key)} is already the ${taken} key`);
      special.set(key, role);
    }
    if (this.options.modeKeys)
      for (const [key, mode] of Object.entries(keyboard.mode_keys)) {
        const taken = special.get(key);
        if (taken)
          throw new RangeError(`teleop keyboard: mode key ${showKey(key)} is already the ${taken} key`);
        special.set(key, `mode ${mode}`);
      }
    const keys: KeyBinding[] =
      keyboard.keys.length > 0
        ? keyboard.keys.map((k) => ({
            key: k.key,
            action: this.actionIndex(k.action, 'key'),
            delta: k.delta,
          }))
        : action.slice(0, DEFAULT_KEY_PAIRS.length).flatMap((a, i) => {
            const step = (a.max - a.min) / 10;
            const [minus, plus] = DEFAULT_KEY_PAIRS[i];
            return [
              { key: minus, action: i, delta: -step },
              { key: plus, action: i, delta: step },
            ];
          });
    if (keyboard.keys.length === 0 && action.length > DEFAULT_KEY_PAIRS.length)
      this.node.logger.warn(
        `teleop keyboard: default keys cover the first ${DEFAULT_KEY_PAIRS.length} of ${action.length} actions; map teleop.keyboard.keys for the rest`,
      );
    for (const binding of keys) {
      const taken = special.get(binding.key);
      if (taken)
        throw new RangeError(`teleop keyboard: key ${showKey(binding.key)} is already the ${taken} key`);
      const other = this.bindings.get(binding.key);
      if (other)
        throw new RangeError(
          `teleop keyboard: key ${showKey(binding.key)} is mapped twice (${action[other.action].name} and ${action[binding.action].name})`,
        );
      this.bindings.set(binding.key, binding);
    }
  }

  /** "a/d cart_force, space zero, e e-stop, r release, q quit": minus keys before plus keys. */
  private buildLegend(): string {
    const { keyboard } = this.options.config;
    const all = [...this.bindings.values()];
    const parts = this.options.task.action.flatMap((a, i) => {
      const keys = all.filter((b) => b.action === i);
      if (keys.length === 0) return [];
      keys.sort((x, y) => Math.sign(x.delta) - Math.sign(y.delta));
      return [`${keys.map((b) => showKey(b.key)).join('/')} ${a.name}`];
    });
    parts.push(
      `${showKey(keyboard.zero_key)} zero`,
      `${showKey(keyboard.estop_key)} e-stop`,
      `${showKey(keyboard.release_key)} release`,
      ...(this.options.modeKeys
        ? Object.entries(keyboard.mode_keys).map(([key, mode]) => `${showKey(key)} ${mode}`)
        : []),
      `${QUIT_KEY} quit`,
    );
    return parts.join(', ');
  }
}

/** Output is 0 inside the dead zone and rescaled outside it, so it is continuous at the edge and reaches +-1. */
export function deadZone(x: number, deadzone: number): number {
  const magnitude = Math.abs(x);
  if (magnitude <= deadzone) return 0;
  return (Math.sign(x) * (magnitude - deadzone)) / (1 - deadzone);
}

function isNumberList(x: unknown): x is ArrayLike<unknown> {
  // rclnodejs may deliver float32[] and int32[] fields as typed arrays.
  return Array.isArray(x) || (ArrayBuffer.isView(x) && !(x instanceof DataView));
}

function signed(v: number, decimals: number): string {
  const text = v.toFixed(decimals);
  if (/^-0\.?0*$/.test(text)) return `+${text.slice(1)}`;
  return text.startsWith('-') ? text : `+${text}`;
}

function showKey(key: string): string {
  if (key === ' ') return 'space';
  if (key === CTRL_C) return 'Ctrl-C';
  return key;
}
