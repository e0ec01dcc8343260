/**
 * Every ROS parameter the node kinds of `mbrl ros` declare, in one table: the kinds declare
 * from it, the params files in launch/params are checked against it (test/ros), and
 * docs/ROS2.md lists it. Everything else comes from the robot config.
 */
import type { ParameterDescriptor, RuntimeNode } from '../runtime/node-api.js';

interface ParameterSpec<V extends string | number | boolean> {
  default: V;
  description: string;
  integer?: boolean;
  /** Inclusive range (rcl IntegerRange / FloatingPointRange): out-of-range values are refused. */
  range?: { min: number; max: number };
}

const robotConfig: ParameterSpec<string> = {
  default: '',
  description: 'robot config: a path, or a name in hardware/robots; --config wins',
};
const logDir: ParameterSpec<string> = {
  default: '',
  description: "transition log directory; '' = logger.dir",
};
const modelsDir: ParameterSpec<string> = {
  default: '',
  description: "where refitted models go; '' = <log dir>/../models",
};
const seed: ParameterSpec<number> = {
  default: 1,
  description: 'random seed',
  integer: true,
  range: { min: 0, max: 2 ** 31 - 1 },
};
/** -1, or an index into the robot config's drivers. */
const driverIndexRange = { min: -1, max: 255 };
const mode: ParameterSpec<string> = {
  default: '',
  description: "'' = as mbrl run (random exploration, then PETS); 'teleop' = as mbrl teleop",
};
const autostart: ParameterSpec<boolean> = {
  default: true,
  description: 'configure and activate at start; false waits for `ros2 lifecycle set`',
};
const joystick: ParameterSpec<string> = {
  default: '',
  description: "joystick device for the built-in reader (/dev/input/js0); '' = none",
};

/** Parameters per node kind (drivers: `driver_<i>_<type>` nodes). `robot_config` is everyone's. */
export const ROS_PARAMETERS = {
  controller: { robot_config: robotConfig, mode, seed, autostart },
  driver: {
    robot_config: robotConfig,
    driver_index: {
      default: -1,
      description: "which entry of the robot config's drivers; -1 = the first of the node's type",
      integer: true,
      range: driverIndexRange,
    } as ParameterSpec<number>,
    autostart,
  },
  data_logger: { robot_config: robotConfig, log_dir: logDir },
  trainer: { robot_config: robotConfig, log_dir: logDir, models_dir: modelsDir, seed },
  teleop: {
    robot_config: robotConfig,
    joystick,
    mode_keys: {
      default: false,
      description: 'beside another controller: t/m/x/s switch its mode',
    } as ParameterSpec<boolean>,
  },
  sim: {
    robot_config: robotConfig,
    driver_index: {
      default: -1,
      description: "which entry of the robot config's drivers; -1 = the first sim driver",
      integer: true,
      range: driverIndexRange,
    } as ParameterSpec<number>,
    seed,
  },
  robot: { robot_config: robotConfig, mode, log_dir: logDir, models_dir: modelsDir, seed, joystick },
} as const;

export type RosParameterTable = typeof ROS_PARAMETERS;
type Spec = ParameterSpec<string> | ParameterSpec<number> | ParameterSpec<boolean>;

/**
 * Declares `name` of `table` on `node`. Writable, but read once: at start, or for a managed node
 * at each configure (so a wrong value can be fixed with `ros2 param set`, then configure again).
 */
export function declareRosParameter<
  T extends keyof RosParameterTable,
  N extends keyof RosParameterTable[T] & string,
>(node: RuntimeNode, table: T, name: N): RosParameterTable[T][N] extends ParameterSpec<infer V> ? V : never {
  const spec = ROS_PARAMETERS[table][name] as Spec;
  const descriptor: ParameterDescriptor = {
    description: spec.description,
    integer: spec.integer,
    range: spec.range,
  };
  return node.declareParameter(
    name,
    spec.default,
    descriptor,
  ) as RosParameterTable[T][N] extends ParameterSpec<infer V> ? V : never;
}
