// The interface package ros/mbrl_msgs, checked statically (ROS 2 is not needed): its .msg
// files against the TypeScript message types of src/runtime/messages.ts, its package.xml and
// CMakeLists.txt; and the ROS 2 transport's check that the package is available.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/config/package-paths.js';
import type { ControlTickMsg, HeaderMsg } from '../../src/runtime/messages.js';
import { checkRosInterfaceAvailable } from '../../src/runtime/ros2/ros2-transport.js';

const root = packageRoot();
const pkgDir = join(root, 'ros', 'mbrl_msgs');
const read = (...parts: string[]) => readFileSync(join(pkgDir, ...parts), 'utf8');

/**
 * The ROS field types a TypeScript field type may have. Every field of ControlTickMsg must be
 * given one in CONTROL_TICK_ROS_TYPES below, so a field added to (or retyped in) the interface
 * without the .msg does not compile.
 */
type RosTypeFor<V> = V extends boolean
  ? 'bool'
  : V extends number
    ? 'uint8' | 'uint16' | 'uint32' | 'uint64' | 'int8' | 'int16' | 'int32' | 'int64' | 'float32' | 'float64'
    : V extends string
      ? 'string'
      : V extends number[]
        ? 'float32[]' | 'float64[]'
        : V extends HeaderMsg
          ? 'std_msgs/Header'
          : never;

/** ControlTick.msg's field types, in its order. */
const CONTROL_TICK_ROS_TYPES: { [K in keyof ControlTickMsg]-?: RosTypeFor<ControlTickMsg[K]> } = {
  header: 'std_msgs/Header',
  episode: 'uint32',
  step: 'uint32',
  terminal: 'bool',
  state: 'float64[]',
  action: 'float64[]',
  source: 'string',
  mode: 'string',
  model_version: 'uint32',
  safe_reason: 'string',
  has_state: 'bool',
};

/** A ControlTick as the controller publishes it: the TypeScript side of the comparison. */
const SAMPLE: ControlTickMsg = {
  header: { stamp: { sec: 12, nanosec: 500 }, frame_id: '' },
  episode: 3,
  step: 41,
  terminal: false,
  state: [0.1, -0.2, 3.1, 0],
  action: [0.5],
  source: 'mpc',
  mode: 'mpc',
  model_version: 2,
  safe_reason: '',
  has_state: true,
};

interface MsgField {
  type: string;
  name: string;
  /** The comment lines right above the field, '#' and surrounding space removed, joined by ' '. */
  comment: string;
}

/** Fields of a .msg file. Constants and default values are rejected (ControlTick has none). */
function parseMsg(text: string): MsgField[] {
  const fields: MsgField[] = [];
  let comment: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') {
      comment = [];
      continue;
    }
    if (line.startsWith('#')) {
      comment.push(line.replace(/^#\s?/, '').trim());
      continue;
    }
    const code = line.replace(/\s+#.*$/, '');
    const m = /^(\S+)\s+([A-Za-z0-9_]+)$/.exec(code);
    assert.ok(m, `field line '${line}' is 'type name' (no constants, no defaults)`);
    fields.push({ type: m[1], name: m[2], comment: comment.join(' ') });
    comment = [];
  }
  return fields;
}

/** The doc comments of an interface's fields in src/runtime/messages.ts, whitespace collapsed. */
function tsFieldComments(interfaceName: string): Map<string, string> {
  const source = readFileSync(join(root, 'src', 'runtime', 'messages.ts'), 'utf8');
  const start = source.indexOf(`export interface ${interfaceName} {`);
  assert.ok(start >= 0, `${interfaceName} in src/runtime/messages.ts`);
  const body = source.slice(start, source.indexOf('\n}', start));
  const comments = new Map<string, string>();
  for (const m of body.matchAll(/\/\*\*([\s\S]*?)\*\/\s*(\w+)\??:/g)) {
    const text = m[1]
      .split('\n')
      .map((l) => l.replace(/^\s*\*?\s?/, '').trim())
      .filter((l) => l !== '')
      .join(' ');
    comments.set(m[2], text);
  }
  return comments;
}

function python(args: string[]): string {
  return execFileSync('python3', args, {
    cwd: root,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
    encoding: 'utf8',
  });
}

/** package.xml through xml.dom.minidom: the format attribute and the text of every child element. */
function packageXml(file: string): { format: string; elements: [string, string][] } {
  const script = [
    'import json, sys, xml.dom.minidom',
    'doc = xml.dom.minidom.parse(sys.argv[1])',
    'pkg = doc.documentElement',
    'assert pkg.tagName == "package", pkg.tagName',
    'text = lambda e: "".join(n.data for n in e.childNodes if n.nodeType == n.TEXT_NODE).strip()',
    'elements = [(e.tagName, text(e)) for e in pkg.childNodes if e.nodeType == e.ELEMENT_NODE]',
    'exports = [e for e in pkg.getElementsByTagName("export")]',
    'elements += [("export/" + c.tagName, text(c)) for x in exports for c in x.childNodes if c.nodeType == c.ELEMENT_NODE]',
    'print(json.dumps({"format": pkg.getAttribute("format"), "elements": elements}))',
  ].join('\n');
  return JSON.parse(python(['-c', script, file])) as { format: string; elements: [string, string][] };
}

test('ControlTick.msg matches ControlTickMsg field for field (names, order, types)', () => {
  const fields = parseMsg(read('msg', 'ControlTick.msg'));
  const tsNames = Object.keys(SAMPLE);
  assert.deepEqual(
    Object.keys(CONTROL_TICK_ROS_TYPES),
    tsNames,
    'type table and sample list the same fields',
  );
  assert.deepEqual(
    fields.map((f) => f.name),
    tsNames,
    'ControlTick.msg has the fields of ControlTickMsg, in order',
  );
  for (const f of fields) {
    const name = f.name as keyof ControlTickMsg;
    assert.equal(f.type, CONTROL_TICK_ROS_TYPES[name], `type of ${f.name}`);
    // ROS 2 field names: lower case, starting with a letter, no '__', no trailing '_'.
    assert.match(f.name, /^[a-z][a-z0-9_]*$/, f.name);
    assert.ok(!f.name.includes('__') && !f.name.endsWith('_'), f.name);
    // What the TypeScript sample holds is what rclnodejs delivers for that ROS type.
    const value: unknown = SAMPLE[name];
    if (f.type === 'bool') assert.equal(typeof value, 'boolean', f.name);
    else if (f.type === 'string') assert.equal(typeof value, 'string', f.name);
    else if (f.type.endsWith('[]')) assert.ok(Array.isArray(value), f.name);
    else if (f.type.includes('/')) assert.equal(typeof value, 'object', f.name);
    else {
      assert.equal(typeof value, 'number', f.name);
      if (f.type.startsWith('uint')) assert.ok(Number.isInteger(value) && (value as number) >= 0, f.name);
    }
  }
});

test('ControlTick.msg carries the doc comments of ControlTickMsg', () => {
  const fields = new Map(parseMsg(read('msg', 'ControlTick.msg')).map((f) => [f.name, f.comment]));
  const comments = tsFieldComments('ControlTickMsg');
  assert.ok(comments.size > 0, 'ControlTickMsg has documented fields');
  for (const [name, comment] of comments) assert.equal(fields.get(name), comment, `comment of ${name}`);
});

test('mbrl_msgs package.xml: well-formed format 3 interface package', () => {
  const { format, elements } = packageXml(join(pkgDir, 'package.xml'));
  assert.equal(format, '3');
  const values = (tag: string) => elements.filter(([t]) => t === tag).map(([, v]) => v);
  assert.deepEqual(values('name'), ['mbrl_msgs']);
  assert.deepEqual(values('license'), ['Apache-2.0']);
  const rootVersion = /<version>([^<]+)<\/version>/.exec(readFileSync(join(root, 'package.xml'), 'utf8'));
  assert.deepEqual(values('version'), [rootVersion?.[1]], 'same version as mbrl_control');
  assert.equal(values('maintainer').length, 1);
  assert.deepEqual(values('buildtool_depend').sort(), ['ament_cmake', 'rosidl_default_generators']);
  assert.ok(values('exec_depend').includes('rosidl_default_runtime'));
  assert.deepEqual(values('member_of_group'), ['rosidl_interface_packages']);
  assert.deepEqual(values('export/build_type'), ['ament_cmake']);
  // Every package a message refers to (std_msgs/Header) is a dependency.
  const depends = values('depend');
  assert.ok(depends.includes('std_msgs'));
  for (const f of parseMsg(read('msg', 'ControlTick.msg')).filter((x) => x.type.includes('/')))
    assert.ok(depends.includes(f.type.split('/')[0]), `<depend> for ${f.type}`);
});

test('mbrl_msgs CMakeLists.txt generates every message in msg/', () => {
  const cmake = read('CMakeLists.txt').replace(/#[^\n]*/g, '');
  const project = /project\(mbrl_msgs\b([^)]*)\)/.exec(cmake);
  assert.ok(project, 'project(mbrl_msgs ...)');
  assert.doesNotMatch(project[1], /\bNONE\b/, 'the type support libraries need C and C++');
  for (const p of ['ament_cmake', 'rosidl_default_generators', 'std_msgs'])
    assert.match(cmake, new RegExp(`find_package\\(${p} REQUIRED\\)`), `find_package(${p})`);
  const gen = /rosidl_generate_interfaces\(\s*\$\{PROJECT_NAME\}([^)]*)\)/.exec(cmake);
  assert.ok(gen, 'rosidl_generate_interfaces(${PROJECT_NAME} ...)');
  const [files, deps = ''] = gen[1].split(/\bDEPENDENCIES\b/);
  const listed = [...files.matchAll(/"([^"]+)"/g)].map((m) => m[1]).sort();
  const onDisk = readdirSync(join(pkgDir, 'msg'))
    .filter((f) => f.endsWith('.msg'))
    .map((f) => `msg/${f}`)
    .sort();
  assert.deepEqual(listed, onDisk, 'every msg/*.msg is generated, and nothing else');
  assert.ok(listed.includes('msg/ControlTick.msg'));
  assert.deepEqual(deps.trim().split(/\s+/), ['std_msgs'], 'DEPENDENCIES std_msgs');
  assert.match(cmake, /ament_export_dependencies\(rosidl_default_runtime\)/);
  assert.match(cmake, /ament_package\(\)/);
});

test('ROS 2 transport: ControlTick is allowed once rclnodejs can load it, else a build-it error', () => {
  const looked: string[] = [];
  checkRosInterfaceAvailable('mbrl_msgs/msg/ControlTick', '/control_ticks', (t) => looked.push(t));
  assert.deepEqual(looked, ['mbrl_msgs/msg/ControlTick']);

  // Standard types are not looked up.
  checkRosInterfaceAvailable('sensor_msgs/msg/JointState', '/joint_states', () => {
    throw new Error('not expected');
  });

  const missing = () => {
    throw new Error('The message required does not exist: mbrl_msgs, msg, ControlTick');
  };
  assert.throws(
    () => checkRosInterfaceAvailable('mbrl_msgs/msg/ControlTick', '/cp/control_ticks', missing),
    (err: Error) => {
      assert.match(err.message, /cannot use topic '\/cp\/control_ticks' over ROS 2/);
      assert.match(err.message, /colcon build --packages-select mbrl_msgs/);
      assert.match(err.message, /source install\/setup\.bash/);
      assert.match(err.message, /npx generate-ros-messages/);
      assert.match(err.message, /Underlying error: The message required does not exist/);
      return true;
    },
  );
  // Without rclnodejs to ask, the type counts as unavailable.
  assert.throws(
    () => checkRosInterfaceAvailable('mbrl_msgs/msg/ControlTick', '/control_ticks'),
    /colcon build --packages-select mbrl_msgs/,
  );
});
