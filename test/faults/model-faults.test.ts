/**
 * Model faults in a PETS robot run as `mbrl run` composes it (RobotStack: the embedded MuJoCo
 * cart-pole in real time, controller, logger, trainer, planner worker): corrupt or foreign
 * artifacts announced on `model_update`, and a refit that diverges. The serving model must stay
 * in service (the planner keeps planning with it: ticks keep its version), the failure must be
 * logged naming the artifact file, and the next good model must be taken.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cpSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRobotConfig } from '../../src/config/robot-loader.js';
import { loadTask } from '../../src/config/task-loader.js';
import { waitFor } from '../../src/hardware/testing/wait-for.js';
import { saveEnsemble } from '../../src/models/ensemble-artifact.js';
import type { EnsembleSpec } from '../../src/models/ensemble-spec.js';
import { ensembleSpecForTask } from '../../src/models/ensemble-spec-for-task.js';
import { loadModelArtifact, saveModelArtifact } from '../../src/models/model-artifact.js';
import { initTfBackend } from '../../src/models/tf-backend.js';
import { randomEnsemble } from '../../src/planning/testing.js';
import { RobotStack } from '../../src/robot/robot-stack.js';
import { LogCapture, modelAnnouncer, TickLog } from '../../src/testing/control-fault-rig.js';

await initTfBackend({ log: () => undefined });

const task = loadTask('cartpole-swingup');
const EPS = 1e-6;

function writeConfig(dir: string, model: string, logger: string): string {
  const file = join(dir, 'robot.yaml');
  writeFileSync(
    file,
    [
      'robot: cartpole',
      'task: cartpole-swingup',
      'control: { rate_hz: 25, stale_timeout_s: 0.1 }',
      // A small plan so the planner keeps up on a busy machine; the model is what is under test.
      'controller: { type: pets, horizon: 10, population: 40, iterations: 2, particles: 2 }',
      `model: { members: 2, elites: 2, hidden_layers: 2, hidden_units: 16, epochs: 2, batch_size: 32${model} }`,
      `logger: { dir: ${JSON.stringify(join(dir, 'logs'))}, flush_interval_s: 0.2${logger} }`,
      'drivers: [{ type: sim, mode: realtime, sensor_rate_hz: 100 }]',
    ].join('\n'),
  );
  return file;
}

/** A working (untrained, randomly initialised) model artifact of the robot's layout. */
async function goodArtifact(dir: string, seed: number, spec: EnsembleSpec): Promise<string> {
  const dynamics = randomEnsemble(seed, spec);
  try {
    await saveEnsemble(dir, dynamics, { version: seed });
  } finally {
    dynamics.dispose();
  }
  return dir;
}

async function startStack(dir: string, model = '', logger = ', refit_every_transitions: 0') {
  const config = loadRobotConfig(writeConfig(dir, model, logger));
  const stack = await RobotStack.create({
    config,
    task,
    purpose: 'run',
    seed: 5,
    modelsDir: join(dir, 'models'),
  });
  const ticks = new TickLog(stack.bus.createNode('fault_observer'), () => undefined, {
    command: config.topics.command,
  });
  const announce = modelAnnouncer(stack.bus, 'model_update');
  return { config, stack, ticks, announce, spec: ensembleSpecForTask(task.task, config.model) };
}

/** Waits for `count` MPC ticks planned with model `version` after `after` (wall seconds). */
async function plannedWith(ticks: TickLog, version: number, after: number, what: string) {
  return ticks.count((r) => r.source === 'mpc' && r.modelVersion === version, 3, what, after, 30_000);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

test('corrupt, foreign and non-finite artifacts are refused naming the file; the serving model stays', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'model-faults-'));
  const logs = new LogCapture();
  const { stack, ticks, announce, spec } = await startStack(dir);
  try {
    const artifacts = join(dir, 'announced');
    const good = await goodArtifact(join(artifacts, 'good'), 1, spec);
    const copyOfGood = (name: string) => {
      const target = join(artifacts, name);
      cpSync(good, target, { recursive: true });
      return target;
    };
    const truncated = copyOfGood('truncated');
    truncateSync(join(truncated, 'weights.bin'), 100);
    const garbage = copyOfGood('garbage');
    const size = readFileSync(join(garbage, 'weights.bin')).length;
    writeFileSync(
      join(garbage, 'weights.bin'),
      Buffer.from(Array.from({ length: size }, (_, i) => (i * 151) % 256)),
    );
    // Same bytes, transposed shapes: the checksum holds, the layers do not fit together.
    const shapes = copyOfGood('shapes');
    const model = JSON.parse(readFileSync(join(shapes, 'model.json'), 'utf8')) as {
      weightsManifest: { weights: { shape: number[] }[] }[];
    };
    const matrix = model.weightsManifest[0].weights.find(
      (w) => w.shape.length >= 2 && w.shape.at(-1) !== w.shape.at(-2),
    );
    assert.ok(matrix, 'a non-square weight to transpose');
    matrix.shape = [...matrix.shape.slice(0, -2), matrix.shape.at(-1)!, matrix.shape.at(-2)!];
    writeFileSync(join(shapes, 'model.json'), JSON.stringify(model));
    const missing = copyOfGood('missing');
    unlinkSync(join(missing, 'normalizer.json'));
    // A valid artifact of another task (the pendulum: 2 states, angle first).
    const foreign = await goodArtifact(join(artifacts, 'foreign'), 6, {
      ...spec,
      stateDim: 2,
      angleIndices: [0],
    });
    // Valid files, checksum and all, holding a NaN (a diverged model saved as is).
    const nan = join(artifacts, 'nan');
    const contents = await loadModelArtifact(good);
    contents.weights[0].data[0] = Number.NaN;
    await saveModelArtifact(nan, contents);
    const next = await goodArtifact(join(artifacts, 'next'), 9, spec);

    /** Announces `artifact` as `version` and waits for a warning or error naming it and `why`. */
    const refused = async (version: number, artifact: string, why: RegExp) => {
      const before = logs.records.length;
      announce(version, artifact);
      const named = new RegExp(`${escape(artifact)}.*${why.source}`);
      await waitFor(
        () =>
          logs.records
            .slice(before)
            .some((r) => (r.level === 'warn' || r.level === 'error') && named.test(r.message)),
        `v${version} (${artifact}) refused, naming the file`,
        15_000,
        10,
      );
      return Date.now() / 1000;
    };

    stack.start();
    assert.equal(stack.controller.mode, 'random', 'a PETS robot explores until its first model');
    // A corrupt first model starts no planner: exploration goes on.
    const firstRefused = await refused(1, truncated, /weights\.bin: size is 100 bytes but the manifest/);
    await ticks.count(
      (r) => r.source === 'random',
      5,
      'exploring after the refused first model',
      firstRefused,
    );
    assert.equal(stack.controller.mode, 'random');
    assert.equal(stack.modelVersion, 0);

    announce(2, good);
    await plannedWith(ticks, 2, -Infinity, 'MPC with model v2');
    assert.equal(stack.controller.mode, 'mpc');
    assert.equal(stack.modelVersion, 2);

    const faults: [number, string, RegExp][] = [
      [3, truncated, /weights\.bin: size is 100 bytes but the manifest/],
      [4, garbage, /weights\.bin: weights\.bin does not match card\.json weights_sha256/],
      [5, shapes, /model\.json: weightsManifest: /],
      [6, missing, /normalizer\.json: missing file/],
      [
        7,
        foreign,
        /: model does not fit task cartpole-swingup: stateDim 2 \(task: 4\), angleIndices 0 \(task: 1\)/,
      ],
      [8, nan, /weights\.bin: [^:]+: 1 non-finite values/],
    ];
    for (const [version, artifact, why] of faults) {
      const refusedAt = await refused(version, artifact, why);
      // The planner kept planning with v2: fresh MPC ticks carry its version, none another.
      await plannedWith(ticks, 2, refusedAt, `MPC still on v2 after v${version}`);
      assert.ok(
        ticks.records.every((r) => r.modelVersion <= 2),
        `no tick planned with v${version}`,
      );
    }
    assert.ok(logs.problems(/planner model failed: /).length >= faults.length);
    // The controller awaits the planner's acceptance: a refused model never becomes the version.
    assert.equal(stack.modelVersion, 2);

    const nextAt = Date.now() / 1000;
    announce(9, next);
    await plannedWith(ticks, 9, nextAt, 'MPC with the next good model, v9');
    assert.equal(stack.modelVersion, 9);
    assert.ok(ticks.between(nextAt - EPS).every((r) => r.action.every(Number.isFinite)));
  } finally {
    await stack.stop();
    logs.restore();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a refit that diverges is rejected and never announced; the serving model stays, the next good one is taken', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'model-faults-'));
  const logs = new LogCapture();
  // A learning rate of 10 blows the weights up (holdout error ~1e11, or NaN): the refit after
  // 100 transitions diverges.
  const { stack, ticks, announce, spec } = await startStack(
    dir,
    ', learning_rate: 10',
    ', refit_every_transitions: 100',
  );
  try {
    const modelsDir = join(dir, 'models');
    // v1 sits where the trainer writes: a wrongly accepted refit would become v2 and be announced.
    const v1 = await goodArtifact(join(modelsDir, 'v0001'), 1, spec);
    stack.start();
    announce(1, v1);
    await plannedWith(ticks, 1, -Infinity, 'MPC with model v1');
    const trainer = stack.trainer;
    assert.ok(trainer);
    await waitFor(() => trainer.stats.rejected >= 1, 'the diverged refit rejected', 45_000, 20);
    const rejectedAt = Date.now() / 1000;
    assert.equal(trainer.stats.accepted, 0);
    assert.ok(logs.problems(/^refit not used: the refit diverged \(/).length >= 1);
    assert.deepEqual(readdirSync(modelsDir), ['v0001'], 'nothing written for a diverged refit');
    await plannedWith(ticks, 1, rejectedAt, 'MPC still on v1 after the diverged refit');
    assert.equal(stack.modelVersion, 1);
    assert.ok(ticks.records.every((r) => r.modelVersion <= 1));

    const v2 = await goodArtifact(join(dir, 'announced', 'v0002'), 2, spec);
    const good = Date.now() / 1000;
    announce(2, v2);
    await plannedWith(ticks, 2, good, 'MPC with the next good model, v2');
    assert.equal(stack.modelVersion, 2);
  } finally {
    await stack.stop();
    logs.restore();
    rmSync(dir, { recursive: true, force: true });
  }
});
