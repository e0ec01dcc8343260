/**
 * ROS 2 message shapes used by the stack, as plain objects with the field names of the
 * .msg definitions (rclnodejs delivers the same shapes), plus a registry from the full
 * type name ("sensor_msgs/msg/JointState") to its TypeScript type so publishers and
 * subscriptions are typed by the name alone.
 */
import type { TimeMsg } from './time.js';

export interface HeaderMsg {
  stamp: TimeMsg;
  frame_id: string;
}

export interface JointStateMsg {
  header: HeaderMsg;
  name: string[];
  position: number[];
  velocity: number[];
  effort: number[];
}

export interface QuaternionMsg {
  x: number;
  y: number;
  z: number;
  w: number;
}

export interface Vector3Msg {
  x: number;
  y: number;
  z: number;
}

export interface ImuMsg {
  header: HeaderMsg;
  orientation: QuaternionMsg;
  /** Row-major 3x3; element 0 = -1 means "orientation not provided" (REP 145). */
  orientation_covariance: number[];
  angular_velocity: Vector3Msg;
  angular_velocity_covariance: number[];
  linear_acceleration: Vector3Msg;
  linear_acceleration_covariance: number[];
}

export interface MultiArrayDimensionMsg {
  label: string;
  size: number;
  stride: number;
}

export interface MultiArrayLayoutMsg {
  dim: MultiArrayDimensionMsg[];
  data_offset: number;
}

/** The ros2_control forward-command convention for actuator commands. */
export interface Float64MultiArrayMsg {
  layout: MultiArrayLayoutMsg;
  data: number[];
}

export interface Float64Msg {
  data: number;
}

export interface BoolMsg {
  data: boolean;
}

export interface StringMsg {
  data: string;
}

export interface ClockMsg {
  clock: TimeMsg;
}

export interface KeyValueMsg {
  key: string;
  value: string;
}

/** diagnostic_msgs/DiagnosticStatus levels. */
export const DiagnosticLevel = { OK: 0, WARN: 1, ERROR: 2, STALE: 3 } as const;
export type DiagnosticLevelValue = (typeof DiagnosticLevel)[keyof typeof DiagnosticLevel];

export interface DiagnosticStatusMsg {
  level: DiagnosticLevelValue;
  name: string;
  message: string;
  hardware_id: string;
  values: KeyValueMsg[];
}

export interface DiagnosticArrayMsg {
  header: HeaderMsg;
  status: DiagnosticStatusMsg[];
}

export interface JoyMsg {
  header: HeaderMsg;
  axes: number[];
  buttons: number[];
}

/**
 * What the controller did on one tick (mbrl_msgs/msg/ControlTick): the state it acted on,
 * the action it sent and why. The data logger pairs consecutive ticks into transitions, so
 * what is logged is exactly what the actor saw and did.
 */
export interface ControlTickMsg {
  header: HeaderMsg;
  episode: number;
  /** Tick index within the episode. */
  step: number;
  /** The last tick of an episode: its state ends the episode and its action is not applied. */
  terminal: boolean;
  state: number[];
  action: number[];
  /** random | mpc | teleop | lqr | reset | safe */
  source: string;
  mode: string;
  model_version: number;
  /** Why the safe action was sent ('' when it was not). */
  safe_reason: string;
  /**
   * False until the controller has received a valid state: `state` is then a placeholder
   * (zeros), not a measurement, and must not be logged as one.
   */
  has_state: boolean;
}

/** Type name -> message type. Extend this map when a node needs a new message type. */
export interface MessageTypes {
  'sensor_msgs/msg/JointState': JointStateMsg;
  'sensor_msgs/msg/Imu': ImuMsg;
  'sensor_msgs/msg/Joy': JoyMsg;
  'std_msgs/msg/Float64MultiArray': Float64MultiArrayMsg;
  'std_msgs/msg/Float64': Float64Msg;
  'std_msgs/msg/Bool': BoolMsg;
  'std_msgs/msg/String': StringMsg;
  'rosgraph_msgs/msg/Clock': ClockMsg;
  'diagnostic_msgs/msg/DiagnosticArray': DiagnosticArrayMsg;
  'mbrl_msgs/msg/ControlTick': ControlTickMsg;
}

export type MessageTypeName = keyof MessageTypes;

export const MESSAGE_TYPE_NAMES: readonly MessageTypeName[] = [
  'sensor_msgs/msg/JointState',
  'sensor_msgs/msg/Imu',
  'sensor_msgs/msg/Joy',
  'std_msgs/msg/Float64MultiArray',
  'std_msgs/msg/Float64',
  'std_msgs/msg/Bool',
  'std_msgs/msg/String',
  'rosgraph_msgs/msg/Clock',
  'diagnostic_msgs/msg/DiagnosticArray',
  'mbrl_msgs/msg/ControlTick',
];

export function header(stamp: TimeMsg, frameId = ''): HeaderMsg {
  return { stamp, frame_id: frameId };
}

/** A one-dimensional Float64MultiArray, as ros2_control's forward command controller expects. */
export function float64Array(data: number[], label = ''): Float64MultiArrayMsg {
  return {
    layout: { dim: [{ label, size: data.length, stride: data.length }], data_offset: 0 },
    data,
  };
}
