import assert from 'node:assert/strict';
import path from 'node:path';
import { packageRoot } from './package-paths.js';
import { test } from 'node:test';
import { loadRobotConfig } from './robot-loader.js';
import { catchConfigError, taskYaml, writeTree } from './testing.js';

function tree(robot: string, extra: Record<string, string> = {}) {
  const root = writeTree({
    'tasks/cartpole.yaml': taskYaml('cartpole'),
    'tasks/reacher.yaml': taskYaml('reacher'),
    'mujoco/cart.xml': '<mujoco/>',
    'robots/cart.yaml': robot,
    ...extra,
  });
  return { root, tasksDir: path.join(root, 'tasks'), file: path.join(root, 'robots', 'cart.yaml') };
}

test('a robot config loads, with limits checked against its task', () => {
  // robot "cartpole": the package ships calibration/cartpole.yaml, the default below.
  const { file, tasksDir, root } = tree(
    `robot: cartpole
task: cartpole
controller: { type: random }
control:
  limits:
    force: { min: -0.5, max: 0.5, rate_limit_per_s: 4 }
drivers:
  - { type: serial, device: ../devices/cart.yaml }
  - { type: sim }
`,
    { 'devices/cart.yaml': 'device: cart\n' },
  );
  const config = loadRobotConfig(file, { tasksDir });
  assert.equal(config.task, 'cartpole');
  assert.deepEqual(config.control.limits, { force: { min: -0.5, max: 0.5, rate_limit_per_s: 4 } });
  // Device paths are made absolute against the robot file, so the result is cwd-independent.
  // Without a calibration entry, the package's calibration/<robot>.yaml is used.
  assert.deepEqual(config.drivers[0], {
    type: 'serial',
    device: path.join(root, 'devices', 'cart.yaml'),
    calibration: path.join(packageRoot(), 'calibration', `${config.robot}.yaml`),
  });
  assert.equal(config.drivers[1].type, 'sim');
});

test('limits naming an unknown action are rejected with the task actions listed', () => {
  const { file, tasksDir } = tree(`robot: cart
task: cartpole
controller: { type: random }
control:
  limits:
    force: { min: -1, max: 1 }
    torque: { min: -1, max: 1 }
`);
  const err = catchConfigError(() => loadRobotConfig(file, { tasksDir }));
  assert.equal(err.file, file);
  assert.equal(
    err.message,
    `${file}:7:5: control.limits.torque: unknown action "torque" (task "cartpole" has actions: force)`,
  );
});

test('joint offsets naming a joint the task does not read are rejected with its joints listed', () => {
  const { file, tasksDir } = tree(`robot: cart
task: cartpole
controller: { type: random }
control:
  joint_offsets: { elbow: 1.5 }
`);
  const err = catchConfigError(() => loadRobotConfig(file, { tasksDir }));
  assert.match(
    err.message,
    /control\.joint_offsets\.elbow: unknown joint "elbow" \(task "cartpole" reads positions of: /,
  );
});

test('an unknown task name is reported at the robot file field task', () => {
  const { file, tasksDir } = tree('robot: cart\ntask: cartpol\ncontroller: { type: teleop }\n');
  const err = catchConfigError(() => loadRobotConfig(file, { tasksDir }));
  assert.match(
    err.message,
    new RegExp(
      `^${escape(file)}:2:7: task: unknown task "cartpol" \\(available tasks: cartpole, reacher; in `,
    ),
  );
});

test('a task path is resolved relative to the robot file and made absolute', () => {
  const { file, tasksDir, root } = tree(
    'robot: cart\ntask: ../custom/swing.yaml\ncontroller: { type: teleop }\n',
    {
      'custom/swing.yaml': taskYaml('swing', '../mujoco/cart.xml'),
    },
  );
  assert.equal(loadRobotConfig(file, { tasksDir }).task, path.join(root, 'custom', 'swing.yaml'));
});

test('a missing task file is reported at the robot file field task', () => {
  const { file, tasksDir } = tree('robot: cart\ntask: ./nope.yaml\ncontroller: { type: teleop }\n');
  const err = catchConfigError(() => loadRobotConfig(file, { tasksDir }));
  assert.match(err.message, new RegExp(`^${escape(file)}:2:7: task: task file not found: .*nope\\.yaml$`));
});

test('errors inside the task are reported against the task file', () => {
  const { file, tasksDir } = tree('robot: cart\ntask: cartpole\ncontroller: { type: teleop }\n', {
    'tasks/cartpole.yaml': taskYaml('cartpole', '../mujoco/gone.xml'),
  });
  const err = catchConfigError(() => loadRobotConfig(file, { tasksDir }));
  assert.equal(err.file, path.join(tasksDir, 'cartpole.yaml'));
  assert.match(err.message, /cartpole\.yaml:2:7: mjcf: MJCF file not found/);
});

test('schema errors come before any task lookup', () => {
  const { file, tasksDir } = tree(
    'robot: cart\ntask: nonexistent\ncontroller: { type: teleop }\ncontrol: { clock: gps }\n',
  );
  const err = catchConfigError(() => loadRobotConfig(file, { tasksDir }));
  assert.equal(err.message, `${file}:4:19: control.clock: expected one of "wall" | "sim", received "gps"`);
});

test('a missing robot file names the file', () => {
  const file = path.join(writeTree({}), 'robots', 'ghost.yaml');
  const err = catchConfigError(() => loadRobotConfig(file));
  assert.equal(err.file, file);
  assert.match(err.message, /cannot read file: ENOENT/);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

test('teleop keys and joystick axes naming an unknown action are rejected at their lines', () => {
  const { file, tasksDir } = tree(`robot: cart
task: cartpole
controller: { type: teleop }
teleop:
  keyboard:
    keys: [{ key: k, action: forse, delta: 0.1 }]
  joy:
    axes: [{ axis: 0, action: force, scale: 1 }, { axis: 1, action: torque, scale: 1 }]
`);
  const err = catchConfigError(() => loadRobotConfig(file, { tasksDir }));
  assert.equal(
    err.message,
    [
      `${file}:6:30: teleop.keyboard.keys[0].action: unknown action "forse" (task "cartpole" has actions: force)`,
      `${file}:8:69: teleop.joy.axes[1].action: unknown action "torque" (task "cartpole" has actions: force)`,
    ].join('\n'),
  );
});

test('per-action command topics must cover every action', () => {
  const { file, tasksDir } = tree(`robot: cart
task: cartpole
controller: { type: teleop }
topics:
  joint_commands: [{ topic: command/slider, scale: 10 }, { topic: command/extra }]
`);
  const err = catchConfigError(() => loadRobotConfig(file, { tasksDir }));
  assert.match(err.message, /topics\.joint_commands: expected one entry per action \(force\), got 2$/);
});

test('a driver file that does not exist is reported at the robot file field naming it', () => {
  const { file, tasksDir, root } = tree(
    `robot: cart
task: cartpole
controller: { type: random }
drivers:
  - { type: serial, device: ../devices/missing.yaml, calibration: ../cal.yaml }
  - { type: mqtt, device: ../cal.yaml }
`,
    { 'cal.yaml': 'robot: cart\n' },
  );
  const err = catchConfigError(() => loadRobotConfig(file, { tasksDir }));
  assert.equal(err.file, file);
  const defaultCalibration = path.join(packageRoot(), 'calibration', 'cart.yaml');
  assert.equal(
    err.message,
    [
      `${file}:5:29: drivers[0].device: no such device file: ${path.join(root, 'devices', 'missing.yaml')}`,
      `${file}:6:5: drivers[1]: no calibration given and the default for robot "cart", ${defaultCalibration}, does not exist (set calibration:)`,
    ].join('\n'),
  );
});

test('a PETS controller naming a planner profile the task does not have is reported at controller.profile', () => {
  const { file } = tree(`robot: cart
task: cartpole-swingup
controller: { type: pets, profile: fast }
`);
  const err = catchConfigError(() => loadRobotConfig(file));
  assert.match(
    err.message,
    new RegExp(
      `^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:36: controller.profile: no profile "fast" for task "cartpole-swingup" in .*cartpole-swingup.yaml \\(profiles: paper, realtime\\)$`,
    ),
  );
});
