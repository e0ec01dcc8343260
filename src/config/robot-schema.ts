/**
 * A robot config (hardware/robots/*.yaml) says how the stack drives one robot: which task it
 * runs, on which topics, at what rate and limits, with which controller, model, logger and
 * drivers. Objects are strict so a typo'd key is an error instead of a silently ignored setting.
 */
import { z } from 'zod';

const TOKEN = '[A-Za-z_][A-Za-z0-9_]*';
/** ROS 2 topic names: tokens of [A-Za-z0-9_] not starting with a digit, separated by '/'. */
const TOPIC_NAME = new RegExp(`^(~/|/)?${TOKEN}(/${TOKEN})*$`);

const topic = z
  .string()
  .regex(
    TOPIC_NAME,
    'expected a ROS 2 topic name (tokens of [A-Za-z0-9_], not starting with a digit, separated by "/", optionally starting with "/" or "~/")',
  );

const positiveInt = z.int().positive();
const positive = z.number().positive();
const nonNegative = z.number().nonnegative();

export const TopicsSchema = z.strictObject({
  /** sensor_msgs/JointState with the task's joints. */
  joint_states: topic.default('joint_states'),
  imu: topic.optional(),
  /** std_msgs/Float64MultiArray, one entry per task action (ros2_control forward-command style). */
  command: topic.default('command'),
  /**
   * Also one std_msgs/Float64 per action, in the task's action order, times `scale` (e.g. a
   * Gazebo joint force topic through ros_gz_bridge, which has no Float64MultiArray mapping).
   */
  joint_commands: z
    .array(
      z.strictObject({
        topic,
        scale: z.number().refine(Number.isFinite, 'expected a finite number').default(1),
      }),
    )
    .optional(),
  /** std_msgs/Bool; true holds the safe action until cleared. */
  estop: topic.default('estop'),
  /** std_msgs/String */
  mode: topic.default('mode'),
  diagnostics: topic.default('/diagnostics'),
});

export const ActionLimitSchema = z
  .strictObject({
    min: z.number(),
    max: z.number(),
    rate_limit_per_s: positive.optional(),
  })
  .superRefine((limit, ctx) => {
    if (!(limit.min < limit.max))
      ctx.addIssue({
        code: 'custom',
        path: ['max'],
        message: `max must exceed min (min ${limit.min}, max ${limit.max})`,
      });
  });

export const ControlSchema = z.strictObject({
  rate_hz: positive.default(25),
  /** Sensor data older than this is stale: the safe action is sent instead of the plan. */
  stale_timeout_s: positive.default(0.2),
  /**
   * A state whose every field stays bit-identical this long while nonzero commands are sent is
   * a frozen sensor (a driver repeating its last sample with fresh stamps): safe action until
   * it changes or the operator switches mode. Real sensors change between samples (noise,
   * quantisation, motion); a coarse encoder on a robot held by stiction against a small command
   * may not, so 0 turns the check off. Must exceed the sensor period.
   */
  frozen_timeout_s: nonNegative.default(0.5),
  safe_action: z.enum(['zero', 'hold']).default('zero'),
  /** Per-action overrides of the task's bounds, keyed by action name (checked against the task on load). */
  limits: z.record(z.string(), ActionLimitSchema).default({}),
  /**
   * Added to a joint's reported position before the task sees it, by joint name: for a source
   * whose zero differs from the task's and that has no calibration file (a Gazebo model built
   * in another pose). Drivers with a calibration file set zero offsets there instead.
   */
  joint_offsets: z.record(z.string(), z.number()).default({}),
  clock: z.enum(['wall', 'sim']).default('wall'),
});

/** One gain for every action, or one per action (action units per rad or m, per rad/s or m/s). */
const gains = (min: z.ZodNumber) => z.union([min, z.array(min).min(1)]);

/**
 * LQR-FLM's reset between trials. `teleport` puts the simulator in the start state (simulator
 * only). `pd` drives the joints back to the start pose with a PD policy in the controller
 * until every position is within position_tolerance and every velocity within
 * velocity_tolerance, failing after timeout_s. `operator` waits (safe action) until true
 * arrives on `topic` (std_msgs/Bool, from a person or a teleop node), failing after timeout_s.
 * PD gains have no default: a safe stiffness depends on the robot.
 */
export const TrialResetSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('teleport') }),
  z.strictObject({
    type: z.literal('pd'),
    kp: gains(positive),
    kd: gains(nonNegative),
    position_tolerance: positive.default(0.05),
    velocity_tolerance: positive.default(0.1),
    timeout_s: positive.default(10),
  }),
  z.strictObject({
    type: z.literal('operator'),
    topic: topic.default('trial/ready'),
    timeout_s: positive.default(300),
  }),
]);

export const ControllerSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('random'),
    seed: z.int().optional(),
    /** First-order low-pass on the random action: a = s a_prev + (1 - s) noise. */
    smoothing: z.number().min(0).lt(1).default(0),
  }),
  /**
   * PETS plans with a planner profile of the task (hardware/planners/<task>.yaml: budgets
   * timed with their ensemble size); the fields here override the profile's when given.
   */
  z
    .strictObject({
      type: z.literal('pets'),
      profile: z
        .string()
        .regex(/^[a-z][a-z0-9_-]*$/, 'expected a profile name')
        .default('realtime'),
      optimizer: z.enum(['cem', 'icem', 'mppi', 'random_shooting']).optional(),
      horizon: positiveInt.optional(),
      population: positiveInt.optional(),
      iterations: positiveInt.optional(),
      elites: positiveInt.optional(),
      particles: positiveInt.optional(),
      propagation: z.enum(['ts1', 'tsinf', 'expectation']).optional(),
      objective: z.enum(['expected', 'pessimistic', 'optimistic', 'posterior_sampling']).optional(),
      /** Weight of the cost spread in the pessimistic/optimistic objectives; the objective sets the sign. */
      risk_k: nonNegative.optional(),
    })
    .superRefine((pets, ctx) => {
      if (pets.elites !== undefined && pets.population !== undefined && pets.elites > pets.population)
        ctx.addIssue({
          code: 'custom',
          path: ['elites'],
          message: `elites (${pets.elites}) must not exceed population (${pets.population})`,
        });
    }),
  z.strictObject({
    type: z.literal('lqr-flm'),
    /** KL trust-region step between successive linear-Gaussian controllers. */
    kl_step: positive.default(1.0),
    samples: positiveInt.default(5),
    iterations: positiveInt.default(10),
    /** How the robot gets back to a condition's start state before each trial. */
    reset: TrialResetSchema.prefault({ type: 'teleport' }),
  }),
  z.strictObject({ type: z.literal('teleop') }),
]);

export const ModelSchema = z
  .strictObject({
    members: positiveInt.default(5),
    /** Members used for planning, chosen by validation loss. */
    elites: positiveInt.default(5),
    hidden_layers: positiveInt.default(3),
    hidden_units: positiveInt.default(200),
    activation: z.enum(['swish', 'relu', 'tanh']).default('swish'),
    learning_rate: positive.default(1e-3),
    weight_decay: nonNegative.default(1e-5),
    batch_size: positiveInt.default(256),
    epochs: positiveInt.default(50),
    holdout_ratio: z.number().min(0).lt(0.5).default(0.1),
    backend: z.enum(['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']).default('auto'),
  })
  .superRefine((model, ctx) => {
    if (model.elites > model.members)
      ctx.addIssue({
        code: 'custom',
        path: ['elites'],
        message: `elites (${model.elites}) must not exceed members (${model.members})`,
      });
  });

export const LoggerSchema = z.strictObject({
  dir: z.string().min(1).default('runs/logs'),
  flush_interval_s: positive.default(1),
  rotate_bytes: positiveInt.default(256 * 1024 * 1024),
  /** While the disk fails, at most this many transitions wait in memory; older ones are dropped (and counted). */
  max_queued_records: positiveInt.default(100_000),
  /** Ask for a refit after this many new transitions; 0 turns it off. */
  refit_every_transitions: z.int().nonnegative().default(1000),
  /** Ask for a refit after this many seconds; 0 turns it off. */
  refit_every_s: nonNegative.default(0),
});

export const DriverSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('serial'),
    /** Device file (hardware/devices/*.yaml); relative paths are relative to the robot file. */
    device: z.string().min(1),
    /** Calibration file; default calibration/<robot>.yaml in the package. */
    calibration: z.string().min(1).optional(),
    /** Overrides the port in the device file (e.g. /dev/ttyUSB1). */
    port: z.string().min(1).optional(),
  }),
  z.strictObject({
    type: z.literal('mqtt'),
    device: z.string().min(1),
    calibration: z.string().min(1).optional(),
    broker_url: z
      .url({
        protocol: /^(mqtts?|wss?|tcp|ssl)$/,
        error: 'expected a broker URL (mqtt://, mqtts://, ws://, wss://, tcp:// or ssl://)',
      })
      .optional(),
  }),
  z.strictObject({
    type: z.literal('sim'),
    noise_std: nonNegative.default(0),
    latency_s: nonNegative.default(0),
    mode: z.enum(['lockstep', 'realtime']).default('lockstep'),
    sensor_rate_hz: positive.optional(),
  }),
]);

/** A key that nudges one action by `delta` (action units) per press. */
export const TeleopKeySchema = z.strictObject({
  key: z.string().length(1, 'expected a single character'),
  action: z.string().min(1),
  delta: z.number().refine((d) => d !== 0 && Number.isFinite(d), 'delta must be finite and non-zero'),
});

/** A joystick axis driving one action: value = scale * axis (after the dead zone), clamped by the controller. */
export const TeleopAxisSchema = z.strictObject({
  axis: z.int().nonnegative(),
  action: z.string().min(1),
  scale: z.number().refine(Number.isFinite, 'expected a finite number'),
  deadzone: z.number().min(0).lt(1).default(0.05),
});

export const TeleopSchema = z.strictObject({
  /** How often the operator's command is republished (the controller's teleop timeout needs it fresh). */
  rate_hz: positive.default(20),
  /** Commands older than this are stale: the controller sends the safe action. */
  timeout_s: positive.default(0.5),
  keyboard: z
    .strictObject({
      /** Empty: a/d, j/l, z/c, u/o step actions 1-4 by a tenth of their range. */
      keys: z.array(TeleopKeySchema).default([]),
      zero_key: z.string().length(1).default(' '),
      estop_key: z.string().length(1).default('e'),
      /** Clears the e-stop. */
      release_key: z.string().length(1).default('r'),
      /**
       * Keys that switch the controller's mode (std_msgs/String on the mode topic) when the
       * teleop node runs beside another controller (`mbrl run --teleop`).
       */
      mode_keys: z
        .record(z.string().length(1), z.enum(['mpc', 'random', 'teleop', 'lqr', 'stop']))
        .default({ t: 'teleop', m: 'mpc', x: 'random', s: 'stop' }),
    })
    .prefault({}),
  joy: z
    .strictObject({
      topic: topic.default('joy'),
      axes: z.array(TeleopAxisSchema).default([]),
      /** A button that must be held for axes to act (a dead-man switch); none = always live. */
      deadman_button: z.int().nonnegative().optional(),
      estop_button: z.int().nonnegative().optional(),
      release_button: z.int().nonnegative().optional(),
    })
    .optional(),
});

export const RobotConfigSchema = z.strictObject({
  robot: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'expected a robot name ([A-Za-z][A-Za-z0-9_-]*)'),
  /** A task name (hardware/tasks/<name>.yaml) or a path relative to the robot file. */
  task: z.string().min(1),
  // prefault (not default) so the inner defaults are applied when a section is left out.
  topics: TopicsSchema.prefault({}),
  control: ControlSchema.prefault({}),
  controller: ControllerSchema,
  model: ModelSchema.prefault({}),
  logger: LoggerSchema.prefault({}),
  drivers: z.array(DriverSchema).default([]),
  teleop: TeleopSchema.prefault({}),
});

export type RobotConfig = z.infer<typeof RobotConfigSchema>;
export type ControllerConfig = RobotConfig['controller'];
export type PetsControllerConfig = Extract<ControllerConfig, { type: 'pets' }>;
export type DriverConfig = RobotConfig['drivers'][number];
export type ModelConfig = RobotConfig['model'];
export type TrialResetConfig = z.infer<typeof TrialResetSchema>;
export type TrialResetInput = z.input<typeof TrialResetSchema>;
export type TeleopConfig = RobotConfig['teleop'];
