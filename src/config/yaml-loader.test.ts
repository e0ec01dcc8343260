import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { z } from 'zod';
import { catchConfigError, writeTree } from './testing.js';
import { loadYamlConfig, parseYamlConfig } from './yaml-loader.js';

const Schema = z.strictObject({
  name: z.string(),
  server: z
    .strictObject({
      host: z.string().default('localhost'),
      port: z.int().positive().default(8080),
      mode: z.enum(['fast', 'safe']).default('safe'),
    })
    .prefault({}),
  items: z.array(z.strictObject({ name: z.string(), weight: z.number().nonnegative() })).default([]),
});

const parse = (text: string) => parseYamlConfig(text, 'conf/app.yaml', Schema);

test('valid input parses, with defaults filled in', () => {
  assert.deepEqual(parse('name: demo\nitems:\n  - { name: a, weight: 2 }\n'), {
    name: 'demo',
    server: { host: 'localhost', port: 8080, mode: 'safe' },
    items: [{ name: 'a', weight: 2 }],
  });
});

test('a wrong type names file, line:column, dotted path, expected and received', () => {
  const err = catchConfigError(() => parse('name: demo\nserver:\n  host: h\n  port: eighty\n'));
  assert.equal(err.message, 'conf/app.yaml:4:9: server.port: expected integer, received string "eighty"');
  assert.deepEqual(err.issues, [
    {
      path: ['server', 'port'],
      message: 'expected integer, received string "eighty"',
      line: 4,
      column: 9,
    },
  ]);
});

test('a number where a string belongs, and .nan/.inf where a number belongs', () => {
  assert.equal(
    catchConfigError(() => parse('name: 5\n')).message,
    'conf/app.yaml:1:7: name: expected string, received number 5',
  );
  assert.equal(
    catchConfigError(() => parse('name: x\nitems: [{ name: a, weight: .nan }]\n')).message,
    'conf/app.yaml:2:28: items[0].weight: expected a finite number, received NaN',
  );
  assert.match(
    catchConfigError(() => parse('name: x\nserver: { port: .inf }\n')).message,
    /server\.port: expected a finite integer, received Infinity$/,
  );
});

test('a field inside a list item is reported with its index', () => {
  const text = 'name: demo\nitems:\n  - name: a\n    weight: 1\n  - name: b\n    weight: -3\n';
  const err = catchConfigError(() => parse(text));
  assert.match(
    err.message,
    /^conf\/app\.yaml:6:13: items\[1\]\.weight: expected a number >= 0, received -3$/,
  );
});

test('an unknown key (typo) is rejected with the key, its line and the allowed keys', () => {
  const err = catchConfigError(() => parse('name: demo\nserver:\n  hots: h\n'));
  assert.equal(
    err.message,
    'conf/app.yaml:3:3: server.hots: unknown key "hots" (did you mean "host"? allowed keys: host, port, mode)',
  );
});

test('several unknown keys are reported one per line, each at its own line', () => {
  const err = catchConfigError(() => parse('name: demo\nextra: 1\nother: 2\n'));
  const lines = err.message.split('\n');
  assert.equal(lines.length, 2);
  assert.match(
    lines[0],
    /^conf\/app\.yaml:2:1: extra: unknown key "extra" \(allowed keys: name, server, items\)$/,
  );
  assert.match(lines[1], /^conf\/app\.yaml:3:1: other: unknown key "other"/);
});

test('an enum error lists the allowed values and what was received', () => {
  const err = catchConfigError(() => parse('name: demo\nserver: { mode: quick }\n'));
  assert.equal(
    err.message,
    'conf/app.yaml:2:17: server.mode: expected one of "fast" | "safe", received "quick"',
  );
});

test('a missing required key points at its parent mapping', () => {
  const err = catchConfigError(() => parse('server:\n  port: 1\nitems:\n  - weight: 1\n'));
  assert.equal(
    err.message,
    [
      'conf/app.yaml:1:1: name: missing required field (expected string)',
      'conf/app.yaml:4:5: items[0].name: missing required field (expected string)',
    ].join('\n'),
  );
});

test('an empty value is reported at its key as null', () => {
  const err = catchConfigError(() => parse('name:\n'));
  assert.equal(err.message, 'conf/app.yaml:1:1: name: expected string, received null (empty value)');
});

test('a document that is not a mapping is rejected at the root', () => {
  const err = catchConfigError(() => parse('- a\n- b\n'));
  assert.equal(err.message, 'conf/app.yaml:1:1: (root): expected mapping, received list');
});

test('a YAML syntax error is reported with its line', () => {
  const err = catchConfigError(() => parse('name: demo\nserver:\n  host: "unclosed\n  port: 1\n'));
  assert.match(err.message, /^conf\/app\.yaml:5:1: \(root\): YAML syntax error: .*quote/);
  assert.equal(err.issues[0].line, 5);
});

test('bad indentation is a syntax error on the offending line', () => {
  const err = catchConfigError(() => parse('name: demo\nserver:\n  host: h\n port: 1\n'));
  assert.match(err.message, /^conf\/app\.yaml:4:\d+: \(root\): YAML syntax error: /);
});

test('a duplicate key is an error naming the key, its path and line', () => {
  const err = catchConfigError(() => parse('name: demo\nserver:\n  port: 1\n  port: 2\n'));
  assert.equal(
    err.message,
    'conf/app.yaml:4:3: server.port: duplicate key "port" (a key may appear only once in a mapping)',
  );
});

test('an empty or comment-only file is a clear error', () => {
  for (const text of ['', '# nothing here\n']) {
    const err = catchConfigError(() => parse(text));
    assert.equal(err.message, 'conf/app.yaml: (root): file is empty (expected a YAML mapping)');
  }
});

test('anchors and aliases are resolved', () => {
  const text = 'name: &n demo\nitems:\n  - { name: *n, weight: 1 }\n';
  assert.deepEqual(parse(text).items, [{ name: 'demo', weight: 1 }]);
});

test('issues are listed in file order', () => {
  const err = catchConfigError(() =>
    parse('items:\n  - { name: 1, weight: x }\nserver: { port: -1 }\nname: 3\n'),
  );
  const lines = err.issues.map((i) => i.line);
  assert.deepEqual(lines, [2, 2, 3, 4]);
  assert.equal(err.message.split('\n').length, 4);
});

test('loadYamlConfig reads the file', () => {
  const dir = writeTree({ 'app.yaml': 'name: from-disk\n' });
  assert.equal(loadYamlConfig(path.join(dir, 'app.yaml'), Schema).name, 'from-disk');
});

test('loadYamlConfig names the file in validation errors', () => {
  const dir = writeTree({ 'app.yaml': 'name: x\nserver: { port: 0 }\n' });
  const file = path.join(dir, 'app.yaml');
  const err = catchConfigError(() => loadYamlConfig(file, Schema));
  assert.equal(err.message, `${file}:2:17: server.port: expected a number > 0, received 0`);
});

test('a missing file is a ConfigError naming the file and the OS reason', () => {
  const file = path.join(writeTree({}), 'nope.yaml');
  const err = catchConfigError(() => loadYamlConfig(file, Schema));
  assert.equal(err.file, file);
  assert.ok(err.message.startsWith(`${file}: (root): cannot read file: `), err.message);
  assert.match(err.message, /ENOENT: no such file or directory/);
});

test('a directory in place of the file is a ConfigError with the OS reason', () => {
  const dir = writeTree({ 'sub/x.txt': '' });
  const err = catchConfigError(() => loadYamlConfig(path.join(dir, 'sub'), Schema));
  assert.match(err.message, /cannot read file: EISDIR/);
});
