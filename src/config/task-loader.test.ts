import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { isTaskPath, listTaskNames, loadTask } from './task-loader.js';
import { catchConfigError, taskYaml, writeTree } from './testing.js';

function hardwareTree(extra: Record<string, string> = {}): { tasksDir: string; root: string } {
  const root = writeTree({
    'tasks/cartpole.yaml': taskYaml('cartpole'),
    'tasks/reacher.yaml': taskYaml('reacher'),
    'tasks/notes.txt': 'not a task',
    'tasks/archive.yaml/readme': 'a directory, not a task',
    'mujoco/cart.xml': '<mujoco/>',
    ...extra,
  });
  return { root, tasksDir: path.join(root, 'tasks') };
}

test('listTaskNames lists <name>.yaml files only, sorted', () => {
  const { tasksDir } = hardwareTree({ 'tasks/acrobot.yaml': taskYaml('acrobot') });
  assert.deepEqual(listTaskNames(tasksDir), ['acrobot', 'cartpole', 'reacher']);
});

test('listTaskNames of a missing directory is empty', () => {
  assert.deepEqual(listTaskNames(path.join(writeTree({}), 'none')), []);
});

test('a task loads by name, with defaults and the MJCF path resolved against the task file', () => {
  const { root, tasksDir } = hardwareTree();
  const loaded = loadTask('cartpole', { tasksDir });
  assert.equal(loaded.file, path.join(tasksDir, 'cartpole.yaml'));
  assert.equal(loaded.mjcfPath, path.join(root, 'mujoco', 'cart.xml'));
  assert.equal(loaded.task.name, 'cartpole');
  assert.equal(loaded.task.description, '');
  assert.deepEqual(loaded.task.initial_state, { mean: {}, std: {} });
  assert.equal(loaded.task.state[0].wrap, false);
});

test('a task loads by path, relative to baseDir', () => {
  const root = writeTree({
    'elsewhere/my-task.yaml': taskYaml('anything', 'model.xml'),
    'elsewhere/model.xml': '',
  });
  const loaded = loadTask('elsewhere/my-task.yaml', { baseDir: root, tasksDir: path.join(root, 'tasks') });
  assert.equal(loaded.task.name, 'anything');
  assert.equal(loaded.mjcfPath, path.join(root, 'elsewhere', 'model.xml'));
});

test('an unknown task name lists the available tasks', () => {
  const { tasksDir } = hardwareTree();
  const err = catchConfigError(() => loadTask('cartpol', { tasksDir }));
  assert.match(err.message, /unknown task "cartpol" \(available tasks: cartpole, reacher; in /);
  assert.equal(err.file, path.join(tasksDir, 'cartpol.yaml'));
});

test('an unknown task name with no tasks at all says so', () => {
  const err = catchConfigError(() => loadTask('x', { tasksDir: path.join(writeTree({}), 'tasks') }));
  assert.match(err.message, /unknown task "x" \(no tasks are defined; in /);
});

test('a missing MJCF file is an error at field mjcf, with its line', () => {
  const { root, tasksDir } = hardwareTree({
    'tasks/broken.yaml': taskYaml('broken', '../mujoco/missing.xml'),
  });
  const err = catchConfigError(() => loadTask('broken', { tasksDir }));
  const file = path.join(tasksDir, 'broken.yaml');
  const missing = path.join(root, 'mujoco', 'missing.xml');
  assert.equal(
    err.message,
    `${file}:2:7: mjcf: MJCF file not found: ${missing} (resolved relative to the task file)`,
  );
});

test('an MJCF path that is a directory is rejected', () => {
  const { tasksDir } = hardwareTree({ 'tasks/dir.yaml': taskYaml('dir', '../mujoco') });
  const err = catchConfigError(() => loadTask('dir', { tasksDir }));
  assert.match(err.message, /:2:7: mjcf: MJCF file is not a file: /);
});

test("a task in the tasks directory must carry its file's name", () => {
  const { tasksDir } = hardwareTree({ 'tasks/pendulum.yaml': taskYaml('cartpole') });
  const err = catchConfigError(() => loadTask('pendulum', { tasksDir }));
  assert.match(
    err.message,
    /pendulum\.yaml:1:7: name: expected "pendulum" \(the file name\), received "cartpole"$/,
  );
});

test('schema errors in a task name the task file, path and line', () => {
  const bad = taskYaml('bad').replace('quantity: position }', 'quantity: angle }');
  const { tasksDir } = hardwareTree({ 'tasks/bad.yaml': bad });
  const err = catchConfigError(() => loadTask('bad', { tasksDir }));
  assert.match(
    err.message,
    /bad\.yaml:6:41: state\[0\]\.quantity: expected one of "position" \| "velocity", received "angle"/,
  );
});

test('a missing task file given by path is reported as not found', () => {
  const err = catchConfigError(() => loadTask('/nonexistent/dir/task.yaml'));
  assert.match(err.message, /task file not found: \/nonexistent\/dir\/task\.yaml/);
});

test('names and paths are told apart', () => {
  assert.equal(isTaskPath('cartpole-swingup'), false);
  assert.equal(isTaskPath('cartpole.yaml'), true);
  assert.equal(isTaskPath('cartpole.yml'), true);
  assert.equal(isTaskPath('tasks/cartpole'), true);
  assert.equal(isTaskPath('./x'), true);
});
