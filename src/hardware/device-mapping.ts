/**
 * Joins a device file (which raw fields carry which joint quantities and actions), its
 * calibration (raw <-> SI) and optionally a task (which joints and actions the controller
 * uses) into index tables, checked once at start-up, so the per-frame conversions are plain
 * array arithmetic. Both directions are here: the driver decodes sensors and encodes
 * commands; the virtual device, playing the board, does the reverse.
 */
import { ConfigError } from '../config/config-error.js';
import { deviceIssues } from '../config/device-loader.js';
import type { DeviceConfig } from '../config/device-schema.js';
import type { Task } from '../config/task-schema.js';
import type { IssueAt } from '../config/yaml-source.js';
import { YamlSource } from '../config/yaml-source.js';
import type { ImuMsg, JointStateMsg } from '../runtime/messages.js';
import type { TimeMsg } from '../runtime/time.js';
import type { Calibration } from './calibration/calibration.js';
import type { FieldConverter } from './calibration/field-converter.js';

export interface DecodedSensors {
  jointState: JointStateMsg;
  /** In device.imus order. */
  imus: ImuMsg[];
}

/** A raw field's index in its frame and the calibration converter that applies to it. */
interface FieldRef {
  index: number;
  conv: FieldConverter;
}

interface JointRef {
  name: string;
  position: FieldRef;
  velocity?: FieldRef;
  effort?: FieldRef;
  zeroOffset: number;
  sign: 1 | -1;
}

interface ImuRef {
  frameId: string;
  /** (w, x, y, z) */
  orientation?: FieldRef[];
  angularVelocity?: FieldRef[];
  linearAcceleration?: FieldRef[];
}

export class DeviceMapping {
  /** Raw sensor value order: serial = sensor_frame.fields; mqtt = all sensor_topics' fields, in order. */
  readonly sensorFields: readonly string[];
  /** Raw command value order: serial command_frame.fields / mqtt command_topic.fields. */
  readonly commandFields: readonly string[];
  /** device.joints order: the JointState name order. */
  readonly jointNames: readonly string[];
  /** The task's action order when a task is given, else device.commands order. */
  readonly actionNames: readonly string[];

  private readonly joints: readonly JointRef[];
  private readonly imus: readonly ImuRef[];
  /** Per action (actionNames order): its command field. */
  private readonly actions: readonly FieldRef[];
  /** Raw values of command fields no action in actionNames drives (their safe command, or 0). */
  private readonly idleCommand: Float64Array;
  private readonly safe: Float64Array;
  private readonly hasVelocity: boolean;
  private readonly hasEffort: boolean;

  private constructor(init: {
    sensorFields: string[];
    commandFields: string[];
    joints: JointRef[];
    imus: ImuRef[];
    actionNames: string[];
    actions: FieldRef[];
    idleCommand: Float64Array;
    safe: Float64Array;
  }) {
    this.sensorFields = Object.freeze(init.sensorFields);
    this.commandFields = Object.freeze(init.commandFields);
    this.joints = init.joints;
    this.jointNames = Object.freeze(init.joints.map((j) => j.name));
    this.imus = init.imus;
    this.actionNames = Object.freeze(init.actionNames);
    this.actions = init.actions;
    this.idleCommand = init.idleCommand;
    this.safe = init.safe;
    this.hasVelocity = init.joints.some((j) => j.velocity);
    this.hasEffort = init.joints.some((j) => j.effort);
  }

  /**
   * Throws a ConfigError against the calibration file (path like ['sensors', 'cart_ticks'])
   * when a field the device maps has no calibration entry, and one against the device file
   * when the task has an action the device cannot command, a state joint the device does not
   * publish, or a state velocity the device does not map (it would read as 0, not as missing).
   */
  static create(options: {
    device: DeviceConfig;
    calibration: Calibration;
    deviceFile: string;
    task?: Task;
  }): DeviceMapping {
    const { device, calibration, deviceFile, task } = options;
    // loadDeviceConfig has checked this already; a config built in code may not have been, and
    // a field name missing from its frame would otherwise read as NaN on every frame.
    const crossIssues = deviceIssues(device);
    if (crossIssues.length > 0) throw locatedError(deviceFile, crossIssues);
    const sensorFields =
      device.transport === 'serial'
        ? device.sensor_frame.fields.map((f) => f.name)
        : device.sensor_topics.flatMap((t) => t.fields.map((f) => f.name));
    const commandFields = (
      device.transport === 'serial' ? device.command_frame : device.command_topic
    ).fields.map((f) => f.name);

    // Missing calibration entries: one issue per field, listing every use of it.
    const uses = new Map<string, { section: 'sensors' | 'commands'; field: string; uses: string[] }>();
    const missing = (section: 'sensors' | 'commands', field: string, use: string) => {
      const key = `${section}.${field}`;
      const entry = uses.get(key) ?? { section, field, uses: [] };
      entry.uses.push(use);
      uses.set(key, entry);
    };
    const sensorRef = (field: string, use: string): FieldRef => {
      const conv = calibration.sensor(field);
      if (!conv) missing('sensors', field, use);
      return { index: sensorFields.indexOf(field), conv: conv ?? NAN_CONVERTER };
    };
    const commandRef = (field: string, use: string): FieldRef => {
      const conv = calibration.command(field);
      if (!conv) missing('commands', field, use);
      return { index: commandFields.indexOf(field), conv: conv ?? NAN_CONVERTER };
    };

    const joints = device.joints.map((j): JointRef => {
      const { zero_offset, sign } = calibration.joint(j.joint);
      return {
        name: j.joint,
        position: sensorRef(j.position, `joint ${j.joint} position`),
        velocity: j.velocity === undefined ? undefined : sensorRef(j.velocity, `joint ${j.joint} velocity`),
        effort: j.effort === undefined ? undefined : sensorRef(j.effort, `joint ${j.joint} effort`),
        zeroOffset: zero_offset,
        sign,
      };
    });
    const imus = device.imus.map((imu): ImuRef => ({
      frameId: imu.frame_id,
      orientation: imu.orientation?.map((f) => sensorRef(f, `IMU ${imu.frame_id} orientation`)),
      angularVelocity: imu.angular_velocity?.map((f) => sensorRef(f, `IMU ${imu.frame_id} angular_velocity`)),
      linearAcceleration: imu.linear_acceleration?.map((f) =>
        sensorRef(f, `IMU ${imu.frame_id} linear_acceleration`),
      ),
    }));
    const commandByAction = new Map(
      device.commands.map((c) => [c.action, commandRef(c.field, `action ${c.action}`)] as const),
    );
    if (uses.size > 0)
      throw locatedError(
        calibration.file,
        [...uses.values()].map((m) => ({
          path: [m.section, m.field],
          message:
            `no calibration for ${m.section === 'sensors' ? 'sensor' : 'command'} field "${m.field}" ` +
            `(${deviceFile} maps it to ${m.uses.join(', ')})`,
        })),
      );

    const taskIssues: IssueAt[] = [];
    if (task) {
      const known = device.commands.map((c) => c.action).join(', ');
      task.action.forEach((a) => {
        if (!commandByAction.has(a.name))
          taskIssues.push({
            path: ['commands'],
            message: `task "${task.name}" has action "${a.name}", which this device cannot command (commands map: ${known})`,
          });
        // The safe command goes out when everything else has failed; outside the action's range
        // it may not even encode on the wire, and then no safe command reaches the board at all.
        const safe = Object.hasOwn(device.watchdog.safe_command, a.name)
          ? device.watchdog.safe_command[a.name]
          : 0;
        if (!(safe >= a.min && safe <= a.max))
          taskIssues.push({
            path: ['watchdog', 'safe_command', a.name],
            message: `${safe} is outside the range of action "${a.name}" [${a.min}, ${a.max}] (task "${task.name}")`,
          });
      });
      const jointNames = joints.map((j) => j.name).join(', ');
      task.state.forEach((s) => {
        const i = joints.findIndex((j) => j.name === s.joint);
        if (i < 0)
          taskIssues.push({
            path: ['joints'],
            message: `task "${task.name}" state "${s.name}" reads joint "${s.joint}", which this device does not publish (joints: ${jointNames})`,
          });
        else if (s.quantity === 'velocity' && !joints[i].velocity)
          taskIssues.push({
            path: ['joints', i],
            message: `task "${task.name}" state "${s.name}" needs the velocity of joint "${s.joint}", which this device does not map (add velocity: <field>)`,
          });
      });
    }
    if (taskIssues.length > 0) throw locatedError(deviceFile, taskIssues);

    const actionNames = task ? task.action.map((a) => a.name) : device.commands.map((c) => c.action);
    const actions = actionNames.map((name) => commandByAction.get(name) as FieldRef);
    const safeSi = (action: string) =>
      Object.hasOwn(device.watchdog.safe_command, action) ? device.watchdog.safe_command[action] : 0;
    // A device can drive actuators the task leaves alone; they are held at their safe command.
    const idleCommand = new Float64Array(commandFields.length);
    for (const [action, ref] of commandByAction)
      if (!actionNames.includes(action)) idleCommand[ref.index] = ref.conv.forward(safeSi(action));
    const safe = Float64Array.from(actionNames, safeSi);

    return new DeviceMapping({
      sensorFields,
      commandFields,
      joints,
      imus,
      actionNames,
      actions,
      idleCommand,
      safe,
    });
  }

  /**
   * Raw values (sensorFields order) -> calibrated messages. position = sign * (cal(raw) -
   * zero_offset); velocity and effort = sign * cal(raw). Following sensor_msgs/JointState,
   * velocity (effort) is [] when no joint maps it; otherwise it has one entry per joint and
   * joints that do not map it get 0. IMU parts the device lacks are zero with covariance[0] = -1
   * (REP 145). Non-finite values are returned as they come: rejecting them is the caller's job.
   */
  sensorsToMessages(raw: ArrayLike<number>, stamp: TimeMsg, frameId = ''): DecodedSensors {
    checkLength('raw sensor values', raw, this.sensorFields.length);
    const n = this.joints.length;
    const position = new Array<number>(n);
    const velocity = this.hasVelocity ? new Array<number>(n).fill(0) : [];
    const effort = this.hasEffort ? new Array<number>(n).fill(0) : [];
    this.joints.forEach((j, i) => {
      position[i] = j.sign * (j.position.conv.forward(raw[j.position.index]) - j.zeroOffset);
      if (j.velocity) velocity[i] = j.sign * j.velocity.conv.forward(raw[j.velocity.index]);
      if (j.effort) effort[i] = j.sign * j.effort.conv.forward(raw[j.effort.index]);
    });
    const jointState: JointStateMsg = {
      header: { stamp: { ...stamp }, frame_id: frameId },
      name: [...this.jointNames],
      position,
      velocity,
      effort,
    };
    const read = (refs: FieldRef[]) => refs.map((r) => r.conv.forward(raw[r.index]));
    const imus = this.imus.map((imu): ImuMsg => {
      const q = imu.orientation ? read(imu.orientation) : undefined;
      const w = imu.angularVelocity ? read(imu.angularVelocity) : undefined;
      const a = imu.linearAcceleration ? read(imu.linearAcceleration) : undefined;
      return {
        header: { stamp: { ...stamp }, frame_id: imu.frameId },
        orientation: q ? { w: q[0], x: q[1], y: q[2], z: q[3] } : { x: 0, y: 0, z: 0, w: 0 },
        orientation_covariance: covariance(q !== undefined),
        angular_velocity: w ? { x: w[0], y: w[1], z: w[2] } : { x: 0, y: 0, z: 0 },
        angular_velocity_covariance: covariance(w !== undefined),
        linear_acceleration: a ? { x: a[0], y: a[1], z: a[2] } : { x: 0, y: 0, z: 0 },
        linear_acceleration_covariance: covariance(a !== undefined),
      };
    });
    return { jointState, imus };
  }

  /**
   * SI action (actionNames order) -> raw command values (commandFields order). Command fields
   * no device action maps are 0; those of device actions outside the task get their safe command.
   */
  actionToRawCommand(action: ArrayLike<number>, out?: Float64Array): Float64Array {
    checkLength('action', action, this.actions.length);
    const raw = output(out, this.commandFields.length, 'raw command');
    raw.set(this.idleCommand);
    this.actions.forEach((ref, i) => {
      raw[ref.index] = ref.conv.forward(action[i]);
    });
    return raw;
  }

  /** The raw sensor fields carrying a joint's quantities (undefined for a joint the device does not publish). */
  jointFields(name: string): { position: string; velocity?: string; effort?: string } | undefined {
    const j = this.joints.find((x) => x.name === name);
    if (!j) return undefined;
    const field = (ref: FieldRef | undefined) => (ref ? this.sensorFields[ref.index] : undefined);
    return {
      position: this.sensorFields[j.position.index],
      velocity: field(j.velocity),
      effort: field(j.effort),
    };
  }

  /** watchdog.safe_command in actionNames order (actions it leaves out are 0). */
  safeAction(): Float64Array {
    return this.safe.slice();
  }

  /**
   * For the virtual device (the board's side): SI joint state by joint name (+ IMU readings in
   * device.imus order) -> raw sensor values (sensorFields order). Fields with nothing to derive
   * them from (a joint or IMU not given, a missing velocity) are 0; integer rounding is the
   * wire codec's job.
   */
  rawSensorsFromJointState(
    state: { name: string[]; position: number[]; velocity: number[]; effort: number[] },
    imus?: ImuMsg[],
    out?: Float64Array,
  ): Float64Array {
    const raw = output(out, this.sensorFields.length, 'raw sensor');
    raw.fill(0);
    for (const j of this.joints) {
      const k = state.name.indexOf(j.name);
      if (k < 0) continue;
      // position = sign * (cal(raw) - zero) <=> cal(raw) = sign * position + zero, as sign = +-1.
      if (k < state.position.length)
        raw[j.position.index] = j.position.conv.inverse(j.sign * state.position[k] + j.zeroOffset);
      if (j.velocity && k < state.velocity.length)
        raw[j.velocity.index] = j.velocity.conv.inverse(j.sign * state.velocity[k]);
      if (j.effort && k < state.effort.length)
        raw[j.effort.index] = j.effort.conv.inverse(j.sign * state.effort[k]);
    }
    const write = (refs: FieldRef[] | undefined, values: number[]) =>
      refs?.forEach((r, i) => {
        raw[r.index] = r.conv.inverse(values[i]);
      });
    this.imus.forEach((ref, i) => {
      const msg = imus?.[i];
      if (!msg) return;
      const { orientation: q, angular_velocity: w, linear_acceleration: a } = msg;
      write(ref.orientation, [q.w, q.x, q.y, q.z]);
      write(ref.angularVelocity, [w.x, w.y, w.z]);
      write(ref.linearAcceleration, [a.x, a.y, a.z]);
    });
    return raw;
  }

  /** For the virtual device: raw command values (commandFields order) -> SI action (actionNames order). */
  actionFromRawCommand(raw: ArrayLike<number>, out?: Float64Array): Float64Array {
    checkLength('raw command values', raw, this.commandFields.length);
    const action = output(out, this.actions.length, 'action');
    this.actions.forEach((ref, i) => {
      action[i] = ref.conv.inverse(raw[ref.index]);
    });
    return action;
  }
}

/** Stands in for a missing converter while create() collects every missing entry before throwing. */
const NAN_CONVERTER: FieldConverter = { forward: () => NaN, inverse: () => NaN };

/** REP 145: an unknown covariance is all zeros; covariance[0] = -1 marks a part as absent. */
function covariance(present: boolean): number[] {
  const c = new Array<number>(9).fill(0);
  if (!present) c[0] = -1;
  return c;
}

function checkLength(what: string, values: ArrayLike<number>, expected: number): void {
  if (values.length !== expected) throw new RangeError(`expected ${expected} ${what}, got ${values.length}`);
}

function output(out: Float64Array | undefined, length: number, what: string): Float64Array {
  if (!out) return new Float64Array(length);
  if (out.length !== length)
    throw new RangeError(`${what} output must have length ${length}, got ${out.length}`);
  return out;
}

/**
 * A ConfigError at the line and column of `path` in `file` when the file can be read (the
 * mapping gets parsed configs, not their sources), else one naming just the file.
 */
function locatedError(file: string, issues: IssueAt[]): ConfigError {
  try {
    return YamlSource.read(file).error(issues);
  } catch {
    return new ConfigError(file, issues);
  }
}
