import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  fullyQualifiedNodeName,
  normalizeNamespace,
  resolveTopicName,
  validateNodeName,
} from './topic-names.js';

describe('resolveTopicName', () => {
  it('keeps absolute names', () => {
    assert.equal(resolveTopicName('/joint_states', 'ctrl', '/robot'), '/joint_states');
  });

  it('puts relative names under the namespace', () => {
    assert.equal(resolveTopicName('joint_states', 'ctrl', '/robot'), '/robot/joint_states');
    assert.equal(resolveTopicName('a/b', 'ctrl', '/robot/arm'), '/robot/arm/a/b');
    assert.equal(resolveTopicName('joint_states', 'ctrl', '/'), '/joint_states');
    assert.equal(resolveTopicName('joint_states', 'ctrl', ''), '/joint_states');
    assert.equal(resolveTopicName('x', 'ctrl', 'robot'), '/robot/x');
  });

  it('puts private (~) names under the node', () => {
    assert.equal(resolveTopicName('~/plan', 'ctrl', '/robot'), '/robot/ctrl/plan');
    assert.equal(resolveTopicName('~/plan', 'ctrl', '/'), '/ctrl/plan');
    assert.equal(resolveTopicName('~', 'ctrl', '/robot'), '/robot/ctrl');
  });

  const bad: [string, RegExp][] = [
    ['', /invalid topic name '': must not be empty/],
    ['a//b', /invalid topic name 'a\/\/b': must not contain '\/\/'/],
    ['a/', /invalid topic name 'a\/': must not end with '\/'/],
    ['/', /invalid topic name '\/': must not end with '\/'/],
    ['1abc', /invalid topic name '1abc': token '1abc' must not start with a digit/],
    ['/ok/9lives', /token '9lives' must not start with a digit/],
    ['has space', /invalid topic name 'has space': contains invalid character ' '/],
    ['a-b', /contains invalid character '-'/],
    ['~x', /invalid topic name '~x': '~' must be followed by '\/'/],
    ['a/~/b', /'~' is only allowed at the start/],
    ['{node}/x', /contains invalid character '\{'/],
  ];
  for (const [topic, message] of bad) {
    it(`rejects ${JSON.stringify(topic)}`, () => {
      assert.throws(() => resolveTopicName(topic, 'ctrl', '/robot'), message);
    });
  }

  it('rejects bad node names and namespaces, naming them', () => {
    assert.throws(() => resolveTopicName('x', '2ctrl', '/'), /invalid node name '2ctrl': token '2ctrl'/);
    assert.throws(() => resolveTopicName('x', 'ctrl', '/ro bot'), /invalid namespace '\/ro bot'/);
  });
});

describe('node names and namespaces', () => {
  it('normalizes namespaces', () => {
    assert.equal(normalizeNamespace(''), '/');
    assert.equal(normalizeNamespace('/'), '/');
    assert.equal(normalizeNamespace('robot'), '/robot');
    assert.equal(normalizeNamespace('/robot/arm'), '/robot/arm');
    assert.throws(
      () => normalizeNamespace('/robot/'),
      /invalid namespace '\/robot\/': must not end with '\/'/,
    );
    assert.throws(() => normalizeNamespace('~/x'), /'~' is not allowed/);
  });

  it('builds fully qualified node names', () => {
    assert.equal(fullyQualifiedNodeName('ctrl', '/'), '/ctrl');
    assert.equal(fullyQualifiedNodeName('ctrl', '/robot'), '/robot/ctrl');
  });

  it('validates node names', () => {
    validateNodeName('controller_1');
    assert.throws(() => validateNodeName(''), /invalid node name '': must not be empty/);
    assert.throws(() => validateNodeName('a/b'), /must not contain '\/'/);
    assert.throws(() => validateNodeName('a.b'), /contains invalid character '\.'/);
  });
});
