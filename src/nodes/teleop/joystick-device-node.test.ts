import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TeleopSchema } from '../../config/robot-schema.js';
import { loadTask } from '../../config/task-loader.js';
import { waitFor } from '../../hardware/testing/wait-for.js';
import { InProcessBus } from '../../runtime/in-process-bus.js';
import { MemoryLogger } from '../../runtime/memory-logger.js';
import type { JoyMsg } from '../../runtime/messages.js';
import {
  encodeJsEvents,
  JS_EVENT_AXIS,
  JS_EVENT_BUTTON,
  JS_EVENT_INIT,
  type JsEvent,
} from './js-event-decoder.js';
import { JoystickDeviceNode, type JoystickDeviceNodeOptions } from './joystick-device-node.js';
import { deadZone, TeleopNode } from './teleop-node.js';

const cartpole = loadTask('cartpole-swingup').task;

const axis = (number: number, value: number, init = false): JsEvent => ({
  time: 1000,
  value,
  type: JS_EVENT_AXIS | (init ? JS_EVENT_INIT : 0),
  number,
});
const button = (number: number, value: number, init = false): JsEvent => ({
  time: 1000,
  value,
  type: JS_EVENT_BUTTON | (init ? JS_EVENT_INIT : 0),
  number,
});

/** What the driver sends on open: 2 axes (axis 1 at -32767), 3 buttons (button 2 held). */
const INIT = [
  axis(0, 0, true),
  axis(1, -32767, true),
  button(0, 0, true),
  button(1, 0, true),
  button(2, 1, true),
];

/** A tmp dir with a named pipe made by coreutils mkfifo, standing in for /dev/input/js0. */
function makeFifo(): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mbrl-joy-'));
  const path = join(dir, 'js0');
  execFileSync('mkfifo', [path]);
  return { dir, path };
}

/**
 * Opens the FIFO's writing end. The open waits for a reader, i.e. for the node's next
 * (re)open; a blocked writer already counts as a writer, so that reader sees no end of file.
 */
function connectWriter(path: string): Promise<FileHandle> {
  return open(path, 'w');
}

async function send(writer: FileHandle, events: JsEvent[]): Promise<void> {
  await writer.write(encodeJsEvents(events));
}

function setup(path: string, options: Partial<JoystickDeviceNodeOptions> = {}) {
  const logs = new MemoryLogger('test');
  const bus = new InProcessBus({ loggerFactory: logs.factory });
  const device = new JoystickDeviceNode(bus.createNode('joystick'), {
    path,
    reopenDelaySeconds: 0.05,
    autorepeatRateHz: 0,
    ...options,
  });
  const messages: JoyMsg[] = [];
  bus.createNode('listener').createSubscription('sensor_msgs/msg/Joy', 'joy', (m) => messages.push(m), {
    qos: 'sensorData',
  });
  const warnings = () => logs.at('warn').map((e) => e.message);
  return { logs, bus, device, messages, warnings };
}

/** Cleanup that cannot hang: a writer still waiting in open() is released by a throwaway reader. */
async function cleanup(dir: string, path: string, writers: (FileHandle | undefined)[]): Promise<void> {
  for (const w of writers) await w?.close().catch(() => undefined);
  try {
    closeSync(openSync(path, constants.O_RDONLY | constants.O_NONBLOCK));
  } catch {
    // Not a FIFO (any more): nobody can be waiting on it.
  }
  rmSync(dir, { recursive: true, force: true });
}

test('init events and moves from the device become Joy messages; one read is one message', async () => {
  const { dir, path } = makeFifo();
  const { bus, device, messages } = setup(path);
  let writer: FileHandle | undefined;
  try {
    device.start();
    writer = await connectWriter(path);
    await send(writer, INIT);
    await waitFor(() => messages.length >= 1, 'the initial state');
    assert.deepEqual(messages[0].axes, [0, 1], 'the whole burst in the first message, axis 1 inverted');
    assert.deepEqual(messages[0].buttons, [0, 0, 1]);
    assert.equal(messages[0].header.frame_id, 'joy');
    assert.ok(device.connected);

    await send(writer, [axis(0, 16384)]);
    await waitFor(() => messages.length >= 2, 'the axis move');
    assert.deepEqual(messages[1].axes, [-16384 / 32767, 1]);

    await send(writer, [button(0, 1), axis(1, 0), button(2, 0)]);
    await waitFor(() => messages.length >= 3, 'the button press');
    assert.deepEqual(messages[2].buttons, [1, 0, 0]);
    assert.deepEqual(messages[2].axes, [-16384 / 32767, 0]);
    assert.equal(messages.length, 3, 'three events in one write: one message');

    // No change (same value), then an unknown type and an out-of-range axis: nothing to publish.
    await send(writer, [button(0, 1), { time: 1, value: 1, type: 0x04, number: 0 }, axis(70, 5)]);
    await waitFor(() => device.stats.events === 12, 'the events that change nothing');
    assert.equal(messages.length, 3);
    assert.deepEqual(device.stats, { events: 12, messages: 3, bad: 2, opens: device.stats.opens });
    assert.ok(messages[0].axes !== messages[1].axes, 'each message owns its arrays');
  } finally {
    device.destroy();
    await bus.shutdown();
    await cleanup(dir, path, [writer]);
  }
});

test('autorepeat republishes a held state; EOF stops publishing with one warning; a new writer resumes', async () => {
  const { dir, path } = makeFifo();
  const { bus, device, messages, warnings } = setup(path, { autorepeatRateHz: 100 });
  let first: FileHandle | undefined;
  let second: FileHandle | undefined;
  try {
    device.start();
    first = await connectWriter(path);
    await send(first, [...INIT, axis(0, -32767)]);
    await waitFor(() => messages.length >= 6, 'autorepeated messages while the stick is held');
    for (const m of messages)
      assert.deepEqual(
        [m.axes, m.buttons],
        [
          [1, 1],
          [0, 0, 1],
        ],
      );
    const opensBefore = device.stats.opens;
    const warningsBefore = warnings().length;

    await first.close();
    first = undefined;
    await waitFor(() => !device.connected, 'the end of file');
    const publishedAtLoss = messages.length;
    // Several reopen attempts (each finds no writer) span many autorepeat periods.
    await waitFor(() => device.stats.opens >= opensBefore + 3, 'reopen attempts');
    assert.equal(messages.length, publishedAtLoss, 'nothing is published while the device is gone');
    assert.equal(device.state, null);
    const lost = warnings().slice(warningsBefore);
    assert.equal(lost.length, 1, `one warning per outage, not per retry: ${JSON.stringify(lost)}`);
    assert.match(lost[0], /js0: end of file \(no writer\); not publishing, retrying every 0\.05 s/);

    second = await connectWriter(path);
    await send(second, [axis(0, 0, true), axis(1, 32767, true), button(0, 1, true)]);
    await waitFor(() => messages.length >= publishedAtLoss + 3, 'messages from the new writer');
    const resumed = messages.slice(publishedAtLoss);
    assert.deepEqual(resumed[0].axes, [0, -1], 'the new session starts from its own init events');
    assert.deepEqual(resumed[0].buttons, [1], 'nothing carried over from the old session');
    for (const m of resumed) assert.deepEqual(m.axes, [0, -1]);
    assert.ok(device.stats.opens > opensBefore + 3);
    assert.equal(warnings().length, warningsBefore + 1);
  } finally {
    device.destroy();
    await bus.shutdown();
    await cleanup(dir, path, [first, second]);
  }
});

test('a missing device is retried with one warning and read once it appears; a regular file is refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mbrl-joy-'));
  const path = join(dir, 'js1');
  const { bus, device, messages, warnings } = setup(path);
  const file = join(dir, 'capture.bin');
  writeFileSync(file, encodeJsEvents(INIT));
  const other = setup(file);
  let writer: FileHandle | undefined;
  try {
    device.start();
    other.device.start();
    await waitFor(() => warnings().length >= 1, 'the missing-device warning');
    await waitFor(() => other.warnings().length >= 1, 'the regular-file warning');
    assert.match(warnings()[0], /js1: cannot open: ENOENT.*; not publishing, retrying every 0\.05 s/);
    assert.match(other.warnings()[0], /capture\.bin: cannot read: not a character device or FIFO/);
    assert.equal(device.stats.opens, 0);

    execFileSync('mkfifo', [path]);
    writer = await connectWriter(path);
    await send(writer, INIT);
    await waitFor(() => messages.length >= 1, 'the device that appeared');
    assert.deepEqual(messages[0].buttons, [0, 0, 1]);
    assert.equal(warnings().length, 1);
    assert.equal(other.messages.length, 0, 'a file is not replayed as a joystick');
    assert.equal(other.warnings().length, 1);
  } finally {
    device.destroy();
    other.device.destroy();
    await bus.shutdown();
    await other.bus.shutdown();
    await cleanup(dir, path, [writer]);
  }
});

test('destroy() closes the device: the writer sees the reader gone and nothing more is published', async () => {
  const { dir, path } = makeFifo();
  const { bus, device, messages } = setup(path, { autorepeatRateHz: 100, deadzone: 0.5 });
  let writer: FileHandle | undefined;
  try {
    device.start();
    writer = await connectWriter(path);
    await send(writer, [...INIT, axis(0, -16384)]);
    await waitFor(() => messages.length >= 2, 'messages');
    assert.deepEqual(messages[0].axes, [deadZone(16384 / 32767, 0.5), 1], 'the node dead zone, as joy_node');
    device.destroy();
    const count = messages.length;
    // Writing to a FIFO without readers fails with EPIPE: proof the fd was closed.
    const w = writer;
    await waitFor(() => false === tryWriteSync(w), 'the reader to close');
    assert.equal(messages.length, count);
    assert.equal(device.connected, false);
    device.destroy();
  } finally {
    device.destroy();
    await bus.shutdown();
    await cleanup(dir, path, [writer]);
  }
});

function tryWriteSync(writer: FileHandle): boolean {
  try {
    // A synchronous write keeps the EPIPE here rather than in a rejected promise.
    writeFileSync(writer.fd, encodeJsEvents([button(0, 1)]));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EPIPE') return false;
    throw error;
  }
}

test('joystick on a FIFO drives the teleop command; a closed writer lets the teleop timeout zero it', async () => {
  const { dir, path } = makeFifo();
  const logs = new MemoryLogger('test');
  const bus = new InProcessBus({ loggerFactory: logs.factory });
  const config = TeleopSchema.parse({
    timeout_s: 0.2,
    joy: { axes: [{ axis: 0, action: 'cart_force', scale: 1 }] },
  });
  const teleop = new TeleopNode(bus.createNode('teleop'), { task: cartpole, config });
  const device = new JoystickDeviceNode(bus.createNode('joystick'), {
    path,
    topic: config.joy!.topic,
    reopenDelaySeconds: 0.05,
  });
  const commands: number[][] = [];
  bus
    .createNode('controller')
    .createSubscription('std_msgs/msg/Float64MultiArray', 'teleop/command', (m) => commands.push(m.data));
  let writer: FileHandle | undefined;
  try {
    teleop.start();
    device.start();
    writer = await connectWriter(path);
    await send(writer, [axis(0, 0, true), button(0, 0, true)]);
    await waitFor(() => teleop.stats.joyMessages >= 1, 'the joystick state at the teleop node');
    assert.deepEqual(teleop.command, [0]);

    await send(writer, [axis(0, -32767)]);
    await waitFor(() => commands.at(-1)?.[0] === 1, 'full deflection on teleop/command');
    await send(writer, [axis(0, 16384)]);
    const half = deadZone(-16384 / 32767, config.joy!.axes[0].deadzone);
    await waitFor(() => commands.at(-1)?.[0] === half, `${half} on teleop/command`);

    // Held for many teleop timeouts: the autorepeat keeps the command alive.
    const joyBefore = teleop.stats.joyMessages;
    await waitFor(() => teleop.stats.joyMessages >= joyBefore + 20, 'autorepeated Joy messages');
    assert.deepEqual(teleop.command, [half]);
    assert.match(teleop.statusLine(), /joy: live/);

    await writer.close();
    writer = undefined;
    await waitFor(() => teleop.command[0] === 0, 'the teleop timeout to zero the command');
    assert.match(teleop.statusLine(), /joy: lost/);
    assert.deepEqual(commands.at(-1), [0]);
  } finally {
    device.destroy();
    teleop.destroy();
    await bus.shutdown();
    await cleanup(dir, path, [writer]);
  }
});
