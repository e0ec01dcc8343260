/**
 * Quality-of-service hints, with the field names and presets of rclnodejs/rclcpp.
 * The in-process bus honours history depth and durability (late joiners get the last
 * `depth` messages of a transient-local publisher); reliability only matters on a network.
 */
export type Reliability = 'reliable' | 'best_effort';
export type Durability = 'volatile' | 'transient_local';
export type History = 'keep_last' | 'keep_all';

export interface QoSProfile {
  history: History;
  depth: number;
  reliability: Reliability;
  durability: Durability;
}

export const QoS = {
  /** rmw_qos_profile_default. */
  default: { history: 'keep_last', depth: 10, reliability: 'reliable', durability: 'volatile' },
  /** rmw_qos_profile_sensor_data: drop rather than queue stale sensor data. */
  sensorData: { history: 'keep_last', depth: 5, reliability: 'best_effort', durability: 'volatile' },
  /** Actuator commands: reliable, shallow, so a late command is never replayed. */
  command: { history: 'keep_last', depth: 1, reliability: 'reliable', durability: 'volatile' },
  /** Latched state such as the current model version or mode (like /robot_description). */
  latched: { history: 'keep_last', depth: 1, reliability: 'reliable', durability: 'transient_local' },
  /** Records that must not be dropped (control ticks for the data logger): deep reliable queue. */
  record: { history: 'keep_last', depth: 1000, reliability: 'reliable', durability: 'volatile' },
  /** /clock as published by simulators. */
  clock: { history: 'keep_last', depth: 1, reliability: 'best_effort', durability: 'volatile' },
} as const satisfies Record<string, QoSProfile>;

export type QoSHint = QoSProfile | keyof typeof QoS;

export function resolveQoS(hint: QoSHint | undefined): QoSProfile {
  if (hint === undefined) return QoS.default;
  return typeof hint === 'string' ? QoS[hint] : hint;
}
