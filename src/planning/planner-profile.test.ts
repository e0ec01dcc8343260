import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { hardwareDir } from '../config/package-paths.js';
import { listTaskNames } from '../config/task-loader.js';
import { parseYamlConfig } from '../config/yaml-loader.js';
import { loadPlannerProfile, PlannerProfilesFileSchema } from './planner-profile.js';

test('every task ships paper and realtime planner profiles that validate', () => {
  const files = readdirSync(join(hardwareDir(), 'planners')).map((f) => f.replace(/\.yaml$/, ''));
  for (const task of listTaskNames()) {
    assert.ok(files.includes(task), `no planner profiles for ${task}`);
    for (const name of ['paper', 'realtime']) {
      const p = loadPlannerProfile(task, name);
      assert.ok(p.horizon >= 1 && p.particles >= 1, `${task}/${name}`);
    }
  }
  const paper = loadPlannerProfile('cartpole-swingup', 'paper');
  assert.equal(paper.optimizer.type, 'cem');
  assert.deepEqual(paper.ensemble, { members: 5, hidden_layers: 3, hidden_units: 500 });
});

test('an unknown profile or task lists what exists', () => {
  assert.throws(
    () => loadPlannerProfile('cartpole-swingup', 'fast'),
    /no profile "fast" \(profiles: paper, realtime\)/,
  );
  assert.throws(
    () => loadPlannerProfile('no-such-task', 'paper'),
    /no planner profiles for task "no-such-task"/,
  );
});

test('bad planner config names the file, line and field', () => {
  const yaml = (optimizer: string, horizon = 10) =>
    `task: t\nprofiles:\n  p:\n    horizon: ${horizon}\n    particles: 5\n    optimizer: ${optimizer}\n    ensemble: { members: 1, hidden_layers: 1, hidden_units: 8 }\n`;
  const parse = (text: string) => parseYamlConfig(text, 'planners/t.yaml', PlannerProfilesFileSchema);
  assert.throws(
    () => parse(yaml('{ type: cem, population: -5 }')),
    /planners\/t\.yaml:6:\d+: profiles\.p\.optimizer\.population/,
  );
  assert.throws(() => parse(yaml('{ type: mppi, temperature: 0 }')), /profiles\.p\.optimizer\.temperature/);
  assert.throws(() => parse(yaml('{ type: cem }', 0)), /planners\/t\.yaml:4:\d+: profiles\.p\.horizon/);
  assert.throws(() => parse(yaml('{ type: annealing }')), /profiles\.p\.optimizer\.type.*cem/s);
  assert.throws(() => parse(yaml('{ type: cem, population: 10, elites: 20 }')), /elites/);
});
