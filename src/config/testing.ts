/**
 * Test helpers for the config tests: throwaway file trees, a minimal valid task, and catching
 * the ConfigError a call must throw (so an assertion on its message cannot pass vacuously).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from './config-error.js';

const created: string[] = [];
process.on('exit', () => created.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** Writes `files` (relative path -> content) under a fresh temp dir and returns the dir. */
export function writeTree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'mbrl-config-test-'));
  created.push(root);
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(root, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  return root;
}

/** Runs `fn`, asserts it throws a ConfigError, and returns that error. */
export function catchConfigError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a ConfigError, but nothing was thrown');
}

/** A small valid task; `name` and `mjcf` are the parts the loader itself checks. */
export function taskYaml(name: string, mjcf = '../mujoco/cart.xml'): string {
  return `name: ${name}
mjcf: ${mjcf}
dt: 0.05
episode_steps: 100
state:
  - { name: x, joint: slider, quantity: position }
  - { name: theta, joint: hinge, quantity: position, wrap: true }
action:
  - { name: force, actuator: motor, min: -1, max: 1 }
initial_state: {}
cost:
  - { type: angle, state: theta, weight: 1 }
`;
}
