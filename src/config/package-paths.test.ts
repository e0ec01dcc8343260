import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { findPackageRoot, hardwareDir, packageRoot } from './package-paths.js';
import { writeTree } from './testing.js';

test('packageRoot is the directory of the mbrl-control package.json', () => {
  const manifest = JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as {
    name: string;
  };
  assert.equal(manifest.name, 'mbrl-control');
});

test('hardwareDir is <root>/hardware', () => {
  assert.equal(hardwareDir(), path.join(packageRoot(), 'hardware'));
});

test('the root is found from both the source and the compiled location', () => {
  const root = packageRoot();
  assert.equal(findPackageRoot(path.join(root, 'src', 'config')), root);
  assert.equal(findPackageRoot(path.join(root, 'dist', 'src', 'config')), root);
});

test('a package.json with another name is skipped', () => {
  const dir = writeTree({
    'package.json': JSON.stringify({ name: 'mbrl-control' }),
    'node_modules/other/package.json': JSON.stringify({ name: 'other' }),
    'node_modules/other/lib/x.js': '',
    'broken/package.json': '{ not json',
  });
  assert.equal(findPackageRoot(path.join(dir, 'node_modules', 'other', 'lib')), dir);
  assert.equal(findPackageRoot(path.join(dir, 'broken')), dir);
});

test('outside any mbrl-control package it throws, naming the start directory', () => {
  const dir = writeTree({ 'package.json': JSON.stringify({ name: 'unrelated' }) });
  assert.throws(
    () => findPackageRoot(dir),
    (err: Error) => err.message.includes(dir),
  );
});
