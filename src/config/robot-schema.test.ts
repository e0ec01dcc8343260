import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RobotConfigSchema } from './robot-schema.js';
import { catchConfigError } from './testing.js';
import { parseYamlConfig } from './yaml-loader.js';

const parse = (text: string) => parseYamlConfig(text, 'robots/cart.yaml', RobotConfigSchema);
const minimal = 'robot: cart\ntask: cartpole\ncontroller: { type: teleop }\n';

test('a minimal robot config gets every default', () => {
  assert.deepEqual(parse(minimal), {
    robot: 'cart',
    task: 'cartpole',
    topics: {
      joint_states: 'joint_states',
      command: 'command',
      estop: 'estop',
      mode: 'mode',
      diagnostics: '/diagnostics',
    },
    control: {
      rate_hz: 25,
      stale_timeout_s: 0.2,
      frozen_timeout_s: 0.5,
      safe_action: 'zero',
      limits: {},
      joint_offsets: {},
      clock: 'wall',
    },
    controller: { type: 'teleop' },
    model: {
      members: 5,
      elites: 5,
      hidden_layers: 3,
      hidden_units: 200,
      activation: 'swish',
      learning_rate: 1e-3,
      weight_decay: 1e-5,
      batch_size: 256,
      epochs: 50,
      holdout_ratio: 0.1,
      backend: 'auto',
    },
    logger: {
      dir: 'runs/logs',
      flush_interval_s: 1,
      rotate_bytes: 256 * 1024 * 1024,
      max_queued_records: 100_000,
      refit_every_transitions: 1000,
      refit_every_s: 0,
    },
    drivers: [],
    teleop: {
      rate_hz: 20,
      timeout_s: 0.5,
      keyboard: {
        keys: [],
        zero_key: ' ',
        estop_key: 'e',
        release_key: 'r',
        mode_keys: { t: 'teleop', m: 'mpc', x: 'random', s: 'stop' },
      },
    },
  });
});

test('controller defaults per type', () => {
  const pets = parse('robot: cart\ntask: cartpole\ncontroller: { type: pets, horizon: 15 }\n').controller;
  // A profile reference plus only the overrides given.
  assert.deepEqual(pets, { type: 'pets', profile: 'realtime', horizon: 15 });
  const lqr = parse('robot: cart\ntask: cartpole\ncontroller: { type: lqr-flm }\n').controller;
  assert.deepEqual(lqr, {
    type: 'lqr-flm',
    kl_step: 1,
    samples: 5,
    iterations: 10,
    reset: { type: 'teleport' },
  });
  const random = parse('robot: cart\ntask: cartpole\ncontroller: { type: random, seed: 3 }\n').controller;
  assert.deepEqual(random, { type: 'random', seed: 3, smoothing: 0 });
});

test('driver defaults per type', () => {
  const text = `${minimal}drivers:
  - { type: sim }
  - { type: serial, device: ../devices/arm.yaml, port: /dev/ttyUSB1 }
  - { type: mqtt, device: dev.yaml, broker_url: "mqtt://localhost:1883" }
`;
  assert.deepEqual(parse(text).drivers, [
    { type: 'sim', noise_std: 0, latency_s: 0, mode: 'lockstep' },
    { type: 'serial', device: '../devices/arm.yaml', port: '/dev/ttyUSB1' },
    { type: 'mqtt', device: 'dev.yaml', broker_url: 'mqtt://localhost:1883' },
  ]);
});

test('an unknown controller type lists the allowed types', () => {
  const err = catchConfigError(() => parse('robot: cart\ntask: cartpole\ncontroller:\n  type: mpc\n'));
  assert.equal(
    err.message,
    'robots/cart.yaml:4:9: controller.type: expected one of "random" | "pets" | "lqr-flm" | "teleop", received "mpc"',
  );
});

test('lqr-flm reset policies get their defaults', () => {
  const reset = (body: string) =>
    parse(`robot: arm\ntask: reacher-2link\ncontroller:\n  type: lqr-flm\n  reset: ${body}\n`).controller;
  assert.deepEqual(reset('{ type: pd, kp: 0.5, kd: [0.05, 0.02] }'), {
    type: 'lqr-flm',
    kl_step: 1,
    samples: 5,
    iterations: 10,
    reset: {
      type: 'pd',
      kp: 0.5,
      kd: [0.05, 0.02],
      position_tolerance: 0.05,
      velocity_tolerance: 0.1,
      timeout_s: 10,
    },
  });
  const operator = reset('{ type: operator, timeout_s: 30 }');
  assert.ok(operator.type === 'lqr-flm');
  assert.deepEqual(operator.reset, { type: 'operator', topic: 'trial/ready', timeout_s: 30 });
});

test('lqr-flm reset errors name the field', () => {
  const cases: [string, RegExp | string][] = [
    [
      '{ type: home }',
      'robots/cart.yaml:5:18: controller.reset.type: expected one of "teleport" | "pd" | "operator", received "home"',
    ],
    [
      '{ type: pd, kd: 0.1 }',
      'robots/cart.yaml:5:10: controller.reset.kp: expected number or list, received nothing',
    ],
    ['{ type: pd, kp: 0, kd: 0.1 }', /controller\.reset\.kp: expected a number > 0, received 0/],
    ['{ type: pd, kp: 1, kd: 0.1, timeout_s: -1 }', /controller\.reset\.timeout_s: expected a number > 0/],
    ['{ type: operator, topic: "2ready" }', /controller\.reset\.topic: expected a ROS 2 topic name/],
    ['{ type: teleport, kp: 1 }', /controller\.reset\.kp: unknown key "kp"/],
  ];
  for (const [body, expected] of cases) {
    const err = catchConfigError(() =>
      parse(`robot: cart\ntask: cartpole\ncontroller:\n  type: lqr-flm\n  reset: ${body}\n`),
    );
    if (typeof expected === 'string') assert.equal(err.message, expected);
    else assert.match(err.message, expected);
  }
});

test('a controller without type says the field is missing', () => {
  const err = catchConfigError(() => parse('robot: cart\ntask: cartpole\ncontroller:\n  horizon: 3\n'));
  assert.match(
    err.message,
    /^robots\/cart\.yaml:3:1: controller\.type: missing required field \(expected one of "random"/,
  );
});

test('a typo inside a controller names the key and suggests the right one', () => {
  const err = catchConfigError(() =>
    parse('robot: cart\ntask: cartpole\ncontroller:\n  type: pets\n  horizn: 3\n'),
  );
  assert.match(
    err.message,
    /^robots\/cart\.yaml:5:3: controller\.horizn: unknown key "horizn" \(did you mean "horizon"\?/,
  );
});

test('pets elites may not exceed the population', () => {
  const err = catchConfigError(() =>
    parse('robot: cart\ntask: cartpole\ncontroller: { type: pets, population: 50, elites: 60 }\n'),
  );
  assert.equal(
    err.message,
    'robots/cart.yaml:3:51: controller.elites: elites (60) must not exceed population (50)',
  );
});

test('model elites may not exceed members', () => {
  const err = catchConfigError(() => parse(`${minimal}model:\n  members: 3\n`));
  assert.equal(err.message, 'robots/cart.yaml:4:1: model.elites: elites (5) must not exceed members (3)');
});

test('numeric ranges are enforced with what was expected', () => {
  const cases: [string, RegExp][] = [
    [
      'controller: { type: random, smoothing: 1 }',
      /controller\.smoothing: expected a number < 1, received 1$/,
    ],
    [
      'controller: { type: teleop }\ncontrol: { rate_hz: 0 }',
      /control\.rate_hz: expected a number > 0, received 0$/,
    ],
    [
      'controller: { type: teleop }\nmodel: { holdout_ratio: 0.5 }',
      /model\.holdout_ratio: expected a number < 0.5/,
    ],
    [
      'controller: { type: pets, horizon: 2.5 }',
      /controller\.horizon: expected integer, received number 2.5$/,
    ],
    [
      'controller: { type: teleop }\ndrivers: [{ type: sim, latency_s: -1 }]',
      /drivers\[0\]\.latency_s: expected a number >= 0/,
    ],
  ];
  for (const [body, expected] of cases) {
    const err = catchConfigError(() => parse(`robot: cart\ntask: cartpole\n${body}\n`));
    assert.match(err.message, expected);
  }
});

test('enum fields list their allowed values', () => {
  const err = catchConfigError(() => parse(`${minimal}control: { safe_action: brake }\n`));
  assert.equal(
    err.message,
    'robots/cart.yaml:4:25: control.safe_action: expected one of "zero" | "hold", received "brake"',
  );
});

test('topic names follow the ROS 2 rules', () => {
  for (const good of ['joint_states', '/robot/joint_states', '~/cmd', 'arm_1/cmd', '_private']) {
    assert.equal(parse(`${minimal}topics: { command: "${good}" }\n`).topics.command, good);
  }
  for (const bad of ['1cmd', 'arm/2nd', '/', 'a//b', 'a/', 'cmd-vel', '~cmd', 'a b', '']) {
    const err = catchConfigError(() => parse(`${minimal}topics: { command: "${bad}" }\n`));
    assert.match(err.message, /topics\.command: expected a ROS 2 topic name/, `accepted "${bad}"`);
    assert.ok(err.message.endsWith(`received ${JSON.stringify(bad)}`), err.message);
  }
});

test('limit overrides need min < max', () => {
  const err = catchConfigError(() => parse(`${minimal}control:\n  limits:\n    force: { min: 2, max: 1 }\n`));
  assert.equal(
    err.message,
    'robots/cart.yaml:6:27: control.limits.force.max: max must exceed min (min 2, max 1)',
  );
});

test('an mqtt broker URL must use an MQTT scheme', () => {
  const err = catchConfigError(() =>
    parse(`${minimal}drivers:\n  - { type: mqtt, device: d.yaml, broker_url: "http://x" }\n`),
  );
  assert.match(err.message, /drivers\[0\]\.broker_url: expected a broker URL .*received "http:\/\/x"$/);
});

test('an unknown driver type lists the allowed types', () => {
  const err = catchConfigError(() => parse(`${minimal}drivers:\n  - type: can\n`));
  assert.equal(
    err.message,
    'robots/cart.yaml:5:11: drivers[0].type: expected one of "serial" | "mqtt" | "sim", received "can"',
  );
});
