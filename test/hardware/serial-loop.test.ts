/**
 * Hardware in the loop, whole: controller -> serial driver -> pty -> virtual board (MuJoCo
 * cart-pole in raw units) -> pty -> driver -> controller, composed by RobotStack from a
 * robot config exactly as `mbrl run` does, with the data logger writing MCAP. Then the log is
 * read back with @mcap/core and checked against what the board simulated.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDeviceConfig } from '../../src/config/device-loader.js';
import type { SerialDevice } from '../../src/config/device-schema.js';
import { packageRoot } from '../../src/config/package-paths.js';
import { loadRobotConfig } from '../../src/config/robot-loader.js';
import { loadTask } from '../../src/config/task-loader.js';
import { readTransitionLog } from '../../src/datalog/transition-log-reader.js';
import { Calibration } from '../../src/hardware/calibration/calibration.js';
import { DeviceMapping } from '../../src/hardware/device-mapping.js';
import { SocatPtyPair, serialTestSkipReason } from '../../src/hardware/testing/socat-pty-pair.js';
import { waitFor } from '../../src/hardware/testing/wait-for.js';
import { RobotStack } from '../../src/robot/robot-stack.js';
import { setLogSink } from '../../src/runtime/logger.js';
import { VirtualSerialDevice } from '../../src/virtual-devices/virtual-serial-device.js';

const skip = serialTestSkipReason();
if (skip) console.log(`# skipped: ${skip}`);

test(
  'cart-pole over serial: the loop closes through the wire and the logger records it',
  { skip },
  async () => {
    setLogSink(() => undefined);
    const root = packageRoot();
    const dir = mkdtempSync(join(tmpdir(), 'serial-loop-'));
    const pair = await SocatPtyPair.create();
    const deviceFile = join(root, 'hardware/devices/cartpole-serial.yaml');
    const device = loadDeviceConfig(deviceFile) as SerialDevice;
    const loadedTask = loadTask('cartpole-swingup');
    const board = await VirtualSerialDevice.create({
      device,
      mapping: DeviceMapping.create({
        device,
        calibration: Calibration.load(join(root, 'calibration/cartpole.yaml')),
        deviceFile,
        task: loadedTask.task,
      }),
      task: loadedTask,
      port: pair.devicePath,
      seed: 3,
      startState: 'mean',
    });
    const robotFile = join(dir, 'robot.yaml');
    writeFileSync(
      robotFile,
      [
        'robot: cartpole',
        'task: cartpole-swingup',
        'control: { rate_hz: 25, stale_timeout_s: 0.1, clock: wall }',
        'controller: { type: random, seed: 5, smoothing: 0.8 }',
        `logger: { dir: ${JSON.stringify(join(dir, 'logs'))}, flush_interval_s: 0.2 }`,
        'drivers:',
        `  - { type: serial, device: ${JSON.stringify(deviceFile)}, calibration: ${JSON.stringify(join(root, 'calibration/cartpole.yaml'))}, port: ${JSON.stringify(pair.hostPath)} }`,
      ].join('\n'),
    );
    const config = loadRobotConfig(robotFile);
    const stack = await RobotStack.create({ config, task: loadedTask, purpose: 'run', seed: 7 });
    try {
      board.start();
      stack.start();
      await waitFor(() => stack.logger.stats.transitions >= 60, '60 logged transitions', 20_000);
      // Freeze the board's physics, let the frames in flight arrive and a few more ticks log
      // them, then compare the last logged state with the frozen simulator.
      await board.board.stop();
      const frozenAt = stack.logger.stats.transitions;
      await waitFor(() => stack.logger.stats.transitions >= frozenAt + 5, 'ticks after the freeze');
      const summary = await stack.stop();
      const driver = summary.drivers[0].stats as {
        framesOk: number;
        badFrames: number;
        commandsSent: number;
      };
      assert.ok(driver.framesOk > 100, `frames ${driver.framesOk}`);
      assert.equal(driver.badFrames, 0);
      assert.ok(driver.commandsSent >= 60);
      assert.ok(board.stats.commandFrames >= 60, `board saw ${board.stats.commandFrames} command frames`);
      assert.equal(board.stats.badCommandFrames, 0);

      const { records } = await readTransitionLog(join(dir, 'logs'));
      assert.ok(records.length >= 60, `records ${records.length}`);
      assert.ok(records.every((r) => r.source === 'random' || r.source === 'safe'));
      const random = records.filter((r) => r.source === 'random');
      assert.ok(random.length >= 50);
      // The random actions moved the simulated cart, and the driver saw it through the wire.
      const carts = records.map((r) => r.state[0]);
      assert.ok(
        Math.max(...carts) - Math.min(...carts) > 0.01,
        `cart range ${Math.min(...carts)}..${Math.max(...carts)}`,
      );
      // Consecutive transitions chain: s' of one is s of the next (no gaps in the middle).
      for (let i = 1; i < random.length; i++)
        if (random[i].step === random[i - 1].step + 1)
          assert.deepEqual(random[i].state, random[i - 1].nextState);
      // What the controller logged is what the board simulated, to the encoders' resolution
      // (1e-4 m per cart tick, 2 pi / 16384 rad per pole tick).
      const last = records.at(-1)!.nextState;
      const sim = board.board.state();
      assert.ok(Math.abs(last[0] - sim[0]) <= 1e-4, `cart: logged ${last[0]}, simulated ${sim[0]}`);
      const poleError = Math.abs(Math.atan2(Math.sin(last[1] - sim[1]), Math.cos(last[1] - sim[1])));
      assert.ok(poleError <= (2 * Math.PI) / 16384, `pole: logged ${last[1]}, simulated ${sim[1]}`);
    } finally {
      await stack.stop();
      await board.close();
      await pair.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
