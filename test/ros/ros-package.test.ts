// The ROS 2 packaging (package.xml, CMakeLists.txt, ros/ wrappers, launch files, params,
// Gazebo world and bridge), checked statically: ROS 2 and Gazebo are not needed. The tests
// that need them run only where they are installed and otherwise print "# skipped: ...".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { packageRoot } from '../../src/config/package-paths.js';
import { loadRobotConfig } from '../../src/config/robot-loader.js';
import { loadTask } from '../../src/config/task-loader.js';
import { ROS_NODE_KINDS } from '../../src/robot/ros-node-kinds.js';
import { ROS_PARAMETERS } from '../../src/robot/ros-parameters.js';

const run = promisify(execFile);
const root = packageRoot();
const at = (...parts: string[]) => join(root, ...parts);
const read = (...parts: string[]) => readFileSync(at(...parts), 'utf8');

// The wrappers, the launch helper and `mbrl ros` must agree on the node kinds.
const NODE_KINDS: readonly string[] = ROS_NODE_KINDS;
const LAUNCH_FILES = ['robot.launch.py', 'teleop.launch.py', 'sim_gazebo.launch.py'];
// No .pyc files in the tree from these checks.
const pyEnv = { ...process.env, PYTHONDONTWRITEBYTECODE: '1' };

function onPath(command: string): boolean {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .some((dir) => dir !== '' && existsSync(join(dir, command)));
}

function python(args: string[]): string {
  return execFileSync('python3', args, { cwd: root, env: pyEnv, encoding: 'utf8' });
}

function checkXml(file: string): void {
  python(['-c', 'import xml.dom.minidom,sys; xml.dom.minidom.parse(sys.argv[1])', file]);
}

/** install(<kind> ... DESTINATION ...) calls of CMakeLists.txt, comments stripped. */
function cmakeInstalls(): { kind: string; items: string[]; destination: string }[] {
  const text = read('CMakeLists.txt').replace(/#[^\n]*/g, '');
  const installs = [];
  for (const m of text.matchAll(
    /install\(\s*(DIRECTORY|PROGRAMS|FILES)\s+([^)]*?)\s+DESTINATION\s+([^\s)]+)([^)]*)\)/g,
  )) {
    const items = m[2].split(/\s+/).map((s) => s.replace(/^"|"$/g, ''));
    installs.push({ kind: m[1], items, destination: m[3] });
  }
  return installs;
}

interface LaunchedNode {
  kind: string;
  package?: string;
  executable?: string;
  name?: string | null;
  arguments?: string[];
  parameters?: (string | Record<string, unknown>)[];
  launch_arguments?: [string, string][];
}

/** Runs a launch file against stub launch/launch_ros modules (test/ros/launch_check.py). */
function evaluateLaunch(
  file: string,
  ...overrides: string[]
): { arguments: Record<string, string>; launched: LaunchedNode[] } {
  const out = python([at('test', 'ros', 'launch_check.py'), at('launch', file), ...overrides]);
  return JSON.parse(out) as { arguments: Record<string, string>; launched: LaunchedNode[] };
}

test('package.xml is well-formed format 3 with the expected name, license and dependencies', () => {
  checkXml(at('package.xml'));
  const xml = read('package.xml');
  assert.match(xml, /<package format="3">/);
  assert.match(xml, /<name>mbrl_control<\/name>/);
  assert.match(xml, /<license>Apache-2.0<\/license>/);
  assert.match(xml, /<maintainer email="dev@mbrl-control\.invalid">/);
  assert.match(xml, /<buildtool_depend>ament_cmake<\/buildtool_depend>/);
  assert.match(xml, /<build_type>ament_cmake<\/build_type>/);
  const version = (JSON.parse(read('package.json')) as { version: string }).version;
  assert.match(
    xml,
    new RegExp(`<version>${version.replace(/\./g, '\\.')}</version>`),
    'same version as package.json',
  );
  const deps = [...xml.matchAll(/<exec_depend>([^<]+)<\/exec_depend>/g)].map((m) => m[1]);
  for (const d of [
    'nodejs',
    'sensor_msgs',
    'std_msgs',
    'diagnostic_msgs',
    'rosgraph_msgs',
    'launch',
    'launch_ros',
    'ros_gz_sim',
    'ros_gz_bridge',
  ])
    assert.ok(deps.includes(d), `exec_depend ${d}`);
  assert.ok(!xml.includes('rclcpp'), 'no C++ client library');
});

test('CMakeLists.txt installs the code, data and every wrapper, but not node_modules', () => {
  const cmake = read('CMakeLists.txt');
  assert.match(cmake, /project\(mbrl_control\b/);
  assert.match(cmake, /find_package\(ament_cmake REQUIRED\)/);
  assert.match(cmake, /ament_package\(\)/);
  assert.match(cmake, /configure_file\(ros\/mbrl_env\.sh\.in/);
  const installs = cmakeInstalls();
  const dirs = installs
    .filter((i) => i.kind === 'DIRECTORY')
    .flatMap((i) => i.items.filter((s) => !/^[A-Z]+$/.test(s) && !s.startsWith('*')));
  for (const d of ['dist/src', 'launch', 'hardware', 'calibration'])
    assert.ok(dirs.includes(d), `installs ${d}`);
  assert.ok(
    !/node_modules/.test(installs.map((i) => i.items.join(' ')).join(' ')),
    'node_modules is not installed',
  );
  const programs = installs.find((i) => i.kind === 'PROGRAMS');
  assert.ok(programs, 'install(PROGRAMS ...)');
  assert.equal(programs.destination, 'lib/${PROJECT_NAME}');
  for (const kind of [...NODE_KINDS, 'mbrl-ros-node']) {
    assert.ok(programs.items.includes(`ros/${kind}`), `installs ros/${kind}`);
    const file = at('ros', kind);
    assert.ok(existsSync(file), `ros/${kind} exists`);
    assert.ok((statSync(file).mode & 0o111) !== 0, `ros/${kind} is executable`);
    assert.match(readFileSync(file, 'utf8'), /^#!\/bin\/sh\n/);
  }
  for (const i of installs.filter((x) => x.kind === 'FILES'))
    for (const f of i.items) if (!f.includes('${')) assert.ok(existsSync(at(f)), `${f} exists`);
});

test('the wrappers are valid POSIX sh and pass their kind and arguments through', () => {
  for (const kind of [...NODE_KINDS, 'mbrl-ros-node']) execFileSync('sh', ['-n', at('ros', kind)]);
  for (const kind of NODE_KINDS)
    assert.match(read('ros', kind), new RegExp(`mbrl-ros-node" ${kind} "\\$@"`), `ros/${kind}`);
  assert.match(
    read('ros', 'mbrl-ros-node'),
    /exec "\$\{MBRL_NODE:-node\}" --import "\$hook" "\$main" ros "\$kind" "\$@"/,
  );
});

test('an installed layout without node_modules runs the CLI through the wrapper and resolve hook', async () => {
  const prefix = mkdtempSync(join(tmpdir(), 'mbrl-ros-install-'));
  try {
    // What CMakeLists.txt installs, laid out by hand.
    const lib = join(prefix, 'lib', 'mbrl_control');
    const share = join(prefix, 'share', 'mbrl_control');
    mkdirSync(lib, { recursive: true });
    mkdirSync(join(share, 'ros'), { recursive: true });
    cpSync(at('dist', 'src'), join(share, 'dist', 'src'), { recursive: true });
    for (const d of ['hardware', 'calibration', 'launch']) cpSync(at(d), join(share, d), { recursive: true });
    cpSync(at('package.json'), join(share, 'package.json'));
    for (const f of ['mbrl_resolve.mjs', 'mbrl_resolve_hooks.mjs', 'mbrl_launch.py'])
      cpSync(at('ros', f), join(share, 'ros', f));
    for (const kind of [...NODE_KINDS, 'mbrl-ros-node']) {
      cpSync(at('ros', kind), join(lib, kind));
      chmodSync(join(lib, kind), 0o755);
    }
    const env = read('ros', 'mbrl_env.sh.in').replace('@MBRL_NODE_MODULES@', at('node_modules'));
    writeFileSync(join(lib, 'mbrl_env.sh'), env);
    assert.ok(!existsSync(join(share, 'node_modules')));
    const childEnv = { ...process.env, MBRL_NODE: process.execPath, MBRL_NODE_MODULES: '' };

    // Unknown kinds are refused before node starts.
    const bad = await run(join(lib, 'mbrl-ros-node'), ['nope'], { env: childEnv }).then(
      () => assert.fail('expected a failure'),
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown node kind 'nope'/);

    // The installed wrapper runs a node kind for real (commander, zod, yaml, mujoco-js from the
    // source tree's node_modules; hardware/ from share/): the whole robot on the in-process
    // transport, with ROS arguments as a launch file passes them.
    const logs = join(prefix, 'wrapper-logs');
    const result = await run(
      join(lib, 'robot'),
      [
        '--transport',
        'in-process',
        '--seconds',
        '2',
        '--config',
        join(share, 'hardware', 'robots', 'cartpole-realtime.yaml'),
        '--ros-args',
        '-p',
        `log_dir:=${logs}`,
      ],
      { env: childEnv, timeout: 60_000 },
    ).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /mbrl ros robot \(in-process\): robot cartpole/);
    assert.ok(
      readdirSync(logs).some((f) => f.endsWith('.mcap')),
      'the installed robot logged',
    );

    // The hook is what makes that work: without it the installed code cannot find its packages.
    const without = await run(process.execPath, [join(share, 'dist', 'src', 'cli', 'main.js'), 'tasks'], {
      env: childEnv,
    }).then(
      () => assert.fail('expected a failure without the hook'),
      (e: { stderr: string }) => e,
    );
    assert.match(without.stderr, /ERR_MODULE_NOT_FOUND|Cannot find package/);
    const hooked = await run(
      process.execPath,
      [
        '--import',
        join(share, 'ros', 'mbrl_resolve.mjs'),
        join(share, 'dist', 'src', 'cli', 'main.js'),
        'config',
        'validate',
        join(share, 'hardware', 'gazebo', 'cartpole-gazebo.yaml'),
      ],
      {
        env: { ...childEnv, MBRL_NODE_MODULES: at('node_modules') },
      },
    );
    assert.equal((JSON.parse(hooked.stdout) as { robot: string }).robot, 'cartpole-gazebo');
  } finally {
    rmSync(prefix, { recursive: true, force: true });
  }
});

test('launch files and the launch helper compile', () => {
  const out = mkdtempSync(join(tmpdir(), 'mbrl-pyc-'));
  try {
    for (const f of [
      ...LAUNCH_FILES.map((l) => at('launch', l)),
      at('ros', 'mbrl_launch.py'),
      at('test', 'ros', 'launch_check.py'),
    ])
      python([
        '-c',
        'import py_compile,sys; py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True)',
        f,
        join(out, 'x.pyc'),
      ]);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('every file a launch file references exists and is installed; every executable is a wrapper', () => {
  const installedDirs = cmakeInstalls()
    .filter((i) => i.kind === 'DIRECTORY' && i.destination.startsWith('share/'))
    .flatMap((i) => i.items);
  const installedFiles = cmakeInstalls()
    .filter((i) => i.kind === 'FILES' && i.destination.startsWith('share/'))
    .flatMap((i) => i.items);
  const programs = cmakeInstalls().find((i) => i.kind === 'PROGRAMS')?.items ?? [];
  for (const file of LAUNCH_FILES) {
    const source = read('launch', file);
    const refs = [...source.matchAll(/_share\('([^']+)'\)/g)].map((m) => m[1]);
    assert.ok(refs.length >= 2, `${file} references its files through _share()`);
    for (const ref of refs) {
      assert.ok(existsSync(at(ref)), `${file}: ${ref} exists`);
      assert.ok(
        installedDirs.some((d) => ref.startsWith(`${d}/`)),
        `${file}: ${ref} is under an installed directory`,
      );
    }
    assert.ok(
      installedFiles.includes('ros/mbrl_launch.py'),
      'the launch helper is installed next to launch/ (../ros)',
    );
    for (const m of source.matchAll(/(?:node|Node)\(\s*'([a-z_]+)'/g))
      assert.ok(programs.includes(`ros/${m[1]}`), `${file}: executable ${m[1]} is installed`);
    // And what it launches with its defaults: every mbrl_control executable is a wrapper.
    for (const n of evaluateLaunch(file).launched)
      if (n.package === 'mbrl_control') {
        assert.ok(n.executable && programs.includes(`ros/${n.executable}`), `${file}: ${n.executable}`);
        assert.ok(existsSync(at('ros', n.executable)));
      }
  }
});

/** The --ros-args a launched Node gets (launch_ros `ros_arguments`). */
function rosArgs(node: object): string[] {
  return (node as { ros_arguments?: string[] }).ros_arguments ?? [];
}

test('robot.launch.py: one robot process by default, one process per node with split:=true', () => {
  const single = evaluateLaunch('robot.launch.py');
  assert.equal(single.launched.length, 1);
  const [robot] = single.launched;
  assert.equal(robot.executable, 'robot');
  assert.equal(robot.name, null, 'no __node remapping for a multi-node process');
  assert.deepEqual(robot.arguments, ['--config', at('hardware', 'robots', 'cartpole-realtime.yaml')]);
  // Only the params file as parameters: a launch_ros dict would be keyed by the fully qualified
  // node name, which rclnodejs does not match; launch-time values are -p rules instead.
  assert.deepEqual(robot.parameters, [at('launch', 'params', 'robot.yaml')]);
  assert.deepEqual(rosArgs(robot), ['--log-level', 'info', '-p', 'use_sim_time:=false']);

  const split = evaluateLaunch(
    'robot.launch.py',
    'split=true',
    'robot_config=cartpole-serial',
    'use_sim_time=true',
    'namespace=cp',
  );
  assert.deepEqual(
    split.launched.map((n) => [n.executable, n.name]),
    [
      ['serial_driver', 'driver_0_serial'],
      ['controller', 'controller'],
      ['data_logger', 'data_logger'],
      ['trainer', 'trainer'],
    ],
  );
  for (const n of split.launched) {
    assert.equal((n as { namespace?: string }).namespace, 'cp');
    assert.ok(rosArgs(n).join(' ').includes('-p use_sim_time:=true'), JSON.stringify(rosArgs(n)));
  }
  assert.deepEqual(rosArgs(split.launched[0]).slice(-2), ['-p', 'driver_0_serial:driver_index:=0']);

  // No trainer for a controller that does not learn online.
  const random = evaluateLaunch(
    'robot.launch.py',
    'split=true',
    `robot_config=${at('hardware', 'robots', 'cartpole-sim.yaml')}`,
  );
  assert.deepEqual(
    random.launched.map((n) => n.executable),
    ['sim', 'controller', 'data_logger'],
  );
});

test('teleop.launch.py: drivers, a teleop-mode controller, teleop and the logger', () => {
  const { launched } = evaluateLaunch('teleop.launch.py', 'robot_config=cartpole-mqtt', 'terminal=xterm -e');
  assert.deepEqual(
    launched.map((n) => n.executable),
    ['mqtt_driver', 'controller', 'teleop', 'data_logger'],
  );
  assert.deepEqual(rosArgs(launched[1]).slice(-2), ['-p', 'controller:mode:=teleop']);
  assert.deepEqual(rosArgs(launched[2]).slice(-2), ['-p', "teleop:joystick:=''"]);
  assert.equal((launched[2] as { prefix?: string }).prefix, 'xterm -e');
});

test('sim_gazebo.launch.py: headless gz sim on the world, the bridge, the stack on sim time', () => {
  const { launched } = evaluateLaunch('sim_gazebo.launch.py');
  const gz = launched.find((n) => n.kind === 'IncludeLaunchDescription');
  assert.ok(gz);
  const gzArgs = Object.fromEntries(gz.launch_arguments ?? []);
  assert.equal(gzArgs.gz_args, `-r -s ${at('hardware', 'gazebo', 'cartpole.sdf')}`);
  const bridge = launched.find((n) => n.executable === 'parameter_bridge');
  assert.equal(bridge?.package, 'ros_gz_bridge');
  assert.deepEqual(bridge?.parameters, [
    { config_file: at('hardware', 'gazebo', 'bridge.yaml'), use_sim_time: true },
  ]);
  const stack = launched.filter((n) => n.package === 'mbrl_control');
  assert.deepEqual(
    stack.map((n) => n.executable),
    ['controller', 'data_logger', 'trainer'],
  );
  for (const n of stack) assert.deepEqual(rosArgs(n), ['-p', 'use_sim_time:=true']);
});

test('the launch helper resolves robot configs by path or name and names drivers as mbrl run', () => {
  const out = python([
    '-c',
    [
      'import json, sys',
      "sys.path.insert(0, 'ros')",
      'import mbrl_launch as m',
      "c = m.load_robot_config(m.resolve_robot_config('cartpole-serial'))",
      "print(json.dumps({'share': m.package_share(), 'byName': m.resolve_robot_config('cartpole-mqtt'), 'byPath': m.resolve_robot_config('hardware/robots/cartpole-sim.yaml'), 'drivers': m.driver_nodes(c), 'trainer': m.runs_trainer(c), 'kinds': list(m.NODE_KINDS)}))",
      'try:',
      "    m.resolve_robot_config('no-such-robot')",
      'except FileNotFoundError as e:',
      "    print('missing', e)",
    ].join('\n'),
  ]).split('\n');
  const r = JSON.parse(out[0]) as {
    share: string;
    byName: string;
    byPath: string;
    drivers: unknown[];
    trainer: boolean;
    kinds: string[];
  };
  assert.equal(r.share, root);
  assert.deepEqual(r.kinds, NODE_KINDS, 'the launch helper knows the node kinds of `mbrl ros`');
  assert.equal(r.byName, at('hardware', 'robots', 'cartpole-mqtt.yaml'));
  assert.equal(r.byPath, at('hardware', 'robots', 'cartpole-sim.yaml'));
  assert.deepEqual(r.drivers, [['driver_0_serial', 'serial_driver', 0]]);
  assert.equal(r.trainer, true);
  assert.match(out[1], /^missing robot config 'no-such-robot' not found/);
});

/** Which kind's parameter table a params-file section applies to ('/**': what every kind declares). */
function parameterTableFor(node: string): object {
  if (node === '/**') return { robot_config: ROS_PARAMETERS.controller.robot_config };
  const driver = /^driver_\d+_(sim|serial|mqtt)$/.exec(node);
  if (driver) return driver[1] === 'sim' ? ROS_PARAMETERS.sim : ROS_PARAMETERS.driver;
  assert.ok(Object.hasOwn(ROS_PARAMETERS, node), `params section '${node}' is no node kind`);
  return ROS_PARAMETERS[node as keyof typeof ROS_PARAMETERS];
}

test('params files are ros__parameters files naming existing robot configs and declared parameters', () => {
  const dir = at('launch', 'params');
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  assert.deepEqual(files.sort(), ['gazebo.yaml', 'robot.yaml', 'teleop.yaml']);
  for (const f of files) {
    const doc = parse(readFileSync(join(dir, f), 'utf8')) as Record<
      string,
      { ros__parameters: Record<string, unknown> }
    >;
    for (const [node, section] of Object.entries(doc)) {
      assert.match(node, /^(\/\*\*|[A-Za-z_][A-Za-z0-9_]*)$/, `${f}: node ${node}`);
      assert.deepEqual(Object.keys(section), ['ros__parameters'], `${f}: ${node}`);
      for (const [name, value] of Object.entries(section.ros__parameters)) {
        const ok =
          ['string', 'number', 'boolean'].includes(typeof value) ||
          (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === typeof value[0]));
        assert.ok(ok, `${f}: ${node}.${name} is a ROS parameter value`);
      }
    }
    // Every parameter is one its node declares, with the declared type (ros-parameters.ts).
    for (const [node, section] of Object.entries(doc)) {
      const table = parameterTableFor(node);
      for (const [name, value] of Object.entries(section.ros__parameters)) {
        const spec = (
          table as Record<
            string,
            { default: unknown; integer?: boolean; range?: { min: number; max: number } }
          >
        )[name];
        assert.ok(spec, `${f}: node ${node} declares no parameter '${name}'`);
        assert.equal(typeof value, typeof spec.default, `${f}: ${node}.${name} has the declared type`);
        if (spec.integer) assert.ok(Number.isInteger(value), `${f}: ${node}.${name} is an integer`);
        if (spec.range)
          assert.ok(
            (value as number) >= spec.range.min && (value as number) <= spec.range.max,
            `${f}: ${node}.${name} = ${String(value)} is within [${spec.range.min}, ${spec.range.max}]`,
          );
      }
    }
    const common = doc['/**'].ros__parameters;
    assert.equal(typeof common.robot_config, 'string');
    assert.doesNotThrow(() => loadRobotConfig(at(common.robot_config as string)), `${f}: robot_config`);
  }
  // What the launch files set themselves is not in the files (its order against a file's
  // section would decide which wins).
  for (const f of files) {
    const doc = parse(readFileSync(join(dir, f), 'utf8')) as Record<
      string,
      { ros__parameters: Record<string, unknown> }
    >;
    for (const [node, section] of Object.entries(doc)) {
      assert.ok(!('use_sim_time' in section.ros__parameters), `${f}: ${node} sets use_sim_time`);
      assert.ok(!('driver_index' in section.ros__parameters), `${f}: ${node} sets driver_index`);
    }
  }
});

test('bridge.yaml maps /clock, joint states and one Float64 force per actuated joint', () => {
  const entries = parse(read('hardware', 'gazebo', 'bridge.yaml')) as Record<string, string>[];
  assert.ok(Array.isArray(entries));
  for (const e of entries) {
    assert.deepEqual(Object.keys(e).sort(), [
      'direction',
      'gz_topic_name',
      'gz_type_name',
      'ros_topic_name',
      'ros_type_name',
    ]);
    assert.ok(['GZ_TO_ROS', 'ROS_TO_GZ', 'BIDIRECTIONAL'].includes(e.direction), e.direction);
  }
  const by = (ros: string) => entries.find((e) => e.ros_topic_name === ros);
  assert.deepEqual(by('/clock'), {
    ros_topic_name: '/clock',
    gz_topic_name: '/clock',
    ros_type_name: 'rosgraph_msgs/msg/Clock',
    gz_type_name: 'gz.msgs.Clock',
    direction: 'GZ_TO_ROS',
  });
  // The robot config's joint_states topic, from the world's JointStatePublisher.
  const config = loadRobotConfig(at('hardware', 'gazebo', 'cartpole-gazebo.yaml'));
  const js = by(config.topics.joint_states);
  assert.equal(js?.ros_type_name, 'sensor_msgs/msg/JointState');
  assert.equal(js?.gz_type_name, 'gz.msgs.Model');
  assert.equal(js?.gz_topic_name, '/world/cartpole_world/model/cartpole/joint_state');
  assert.equal(js?.direction, 'GZ_TO_ROS');
  // One command per action, on the actuator's joint: the robot config's per-action Float64 topics.
  const task = loadTask('cartpole-swingup').task;
  const topics = (config.topics.joint_commands ?? []).map((c) => c.topic);
  assert.equal(topics.length, task.action.length);
  assert.equal(config.topics.joint_commands?.[0].scale, 10, 'MJCF gear: action 1 = 10 N');
  for (const topic of topics) {
    const cmd = by(topic);
    assert.equal(cmd?.ros_type_name, 'std_msgs/msg/Float64');
    assert.equal(cmd?.gz_type_name, 'gz.msgs.Double');
    assert.equal(cmd?.direction, 'ROS_TO_GZ');
    assert.match(cmd?.gz_topic_name ?? '', /^\/model\/cartpole\/joint\/slider\/cmd_force$/);
  }
  assert.equal(config.drivers.length, 0, 'Gazebo and the bridge replace the drivers');
  assert.equal(config.control.clock, 'sim');
});

test('cartpole.sdf is well-formed and matches the MJCF and the task joints', () => {
  const sdf = at('hardware', 'gazebo', 'cartpole.sdf');
  checkXml(sdf);
  const summary = JSON.parse(
    python([
      '-c',
      [
        'import json, sys, xml.etree.ElementTree as ET',
        'w = ET.parse(sys.argv[1]).getroot().find("world")',
        'm = w.find("model")',
        'f = lambda e, p: float(e.find(p).text)',
        'joints = {j.get("name"): {"type": j.get("type"), "parent": j.findtext("parent"), "child": j.findtext("child"), "axis": j.findtext("axis/xyz"), "lower": j.findtext("axis/limit/lower"), "upper": j.findtext("axis/limit/upper"), "damping": j.findtext("axis/dynamics/damping")} for j in m.findall("joint")}',
        'links = {l.get("name"): f(l, "inertial/mass") for l in m.findall("link")}',
        'pole = m.find("link[@name=\'pole\']/visual/geometry/capsule")',
        'pole_pose = m.findtext("link[@name=\'pole\']/pose")',
        'plugins = [p.get("filename") for p in w.iter("plugin")]',
        'jsp = [e.text for p in m.findall("plugin") if p.get("filename") == "gz-sim-joint-state-publisher-system" for e in p.findall("joint_name")]',
        'print(json.dumps({"world": w.get("name"), "model": m.get("name"), "step": f(w, "physics/max_step_size"), "joints": joints, "links": links, "pole": [f(pole, "radius"), f(pole, "length")], "plugins": plugins, "jsp": jsp, "pole_pose": pole_pose}))',
      ].join('\n'),
      sdf,
    ]),
  ) as {
    world: string;
    model: string;
    step: number;
    joints: Record<
      string,
      {
        type: string;
        parent: string;
        child: string;
        axis: string;
        lower: string;
        upper: string;
        damping: string;
      }
    >;
    links: Record<string, number>;
    pole: number[];
    plugins: string[];
    jsp: string[];
    pole_pose: string;
  };
  assert.equal(summary.world, 'cartpole_world');
  assert.equal(summary.model, 'cartpole');
  const task = loadTask('cartpole-swingup').task;
  const taskJoints = [...new Set(task.state.map((s) => s.joint))];
  assert.deepEqual(taskJoints.sort(), ['hinge', 'slider']);
  for (const j of taskJoints) assert.ok(summary.joints[j], `joint ${j}`);
  assert.deepEqual(summary.jsp.sort(), taskJoints.sort(), 'joint states carry every task joint');

  // The MJCF it mirrors.
  const mjcf = read('hardware', 'mujoco', 'cartpole.xml');
  const timestep = Number(/timestep="([\d.]+)"/.exec(mjcf)?.[1]);
  assert.equal(summary.step, timestep);
  const slider = summary.joints.slider;
  assert.equal(slider.type, 'prismatic');
  assert.equal(slider.axis, '1 0 0');
  assert.deepEqual([Number(slider.lower), Number(slider.upper)], [-3, 3]);
  assert.match(mjcf, /name="slider" type="slide" axis="1 0 0" range="-3 3" damping="0\.1"/);
  assert.equal(Number(slider.damping), 0.1);
  const hinge = summary.joints.hinge;
  assert.equal(hinge.type, 'revolute');
  assert.equal(hinge.axis, '0 1 0');
  assert.equal(hinge.parent, 'cart');
  assert.equal(hinge.child, 'pole');
  assert.equal(Number(hinge.damping), 0.001);
  assert.equal(summary.links.cart, 1.0);
  assert.equal(summary.links.pole, 0.1);
  assert.deepEqual(summary.pole, [0.015, 0.6]);
  // Built hanging (pitch pi about the hinge axis y): Gazebo's hinge 0 is hanging, so the robot
  // config adds exactly that pitch to reach the task's angle (0 = upright).
  const [x, y, z, roll, pitch, yaw] = summary.pole_pose.trim().split(/\s+/).map(Number);
  assert.deepEqual([x, y, z, roll, yaw], [0, 0, 0, 0, 0]);
  assert.ok(Math.abs(pitch - Math.PI) < 1e-12, `pole pitch ${pitch}`);
  const gazeboRobot = loadRobotConfig(at('hardware', 'gazebo', 'cartpole-gazebo.yaml'));
  assert.equal(gazeboRobot.control.joint_offsets.hinge, pitch);
  assert.deepEqual(Object.keys(gazeboRobot.control.joint_offsets), ['hinge']);
  for (const p of [
    'gz-sim-physics-system',
    'gz-sim-joint-state-publisher-system',
    'gz-sim-apply-joint-force-system',
  ])
    assert.ok(summary.plugins.includes(p), p);
});

test('ROS 2 integration: the launch files load in ros2 launch', { timeout: 120_000 }, async (t) => {
  if (!process.env.ROS_DISTRO || !onPath('ros2')) {
    const reason = 'ROS 2 not available (needs ROS_DISTRO set and ros2 on PATH)';
    console.log(`# skipped: ${reason}`);
    t.skip(reason);
    return;
  }
  for (const file of LAUNCH_FILES) {
    const { stdout } = await run('ros2', ['launch', at('launch', file), '--show-args'], {
      cwd: root,
      env: pyEnv,
      timeout: 60_000,
    });
    assert.match(stdout, /robot_config|world/, `${file}: ${stdout}`);
  }
});

test('Gazebo: gz sdf checks the world', { timeout: 60_000 }, async (t) => {
  if (!onPath('gz')) {
    const reason = 'Gazebo not available (gz not on PATH)';
    console.log(`# skipped: ${reason}`);
    t.skip(reason);
    return;
  }
  const { stdout } = await run('gz', ['sdf', '-k', at('hardware', 'gazebo', 'cartpole.sdf')], {
    timeout: 30_000,
  });
  assert.match(stdout, /Valid/i);
});
