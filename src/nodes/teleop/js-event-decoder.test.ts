import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  encodeJsEvent,
  encodeJsEvents,
  JS_EVENT_AXIS,
  JS_EVENT_BUTTON,
  JS_EVENT_INIT,
  JsEventDecoder,
  MAX_JS_INPUTS,
} from './js-event-decoder.js';

/** Bytes from hex with spaces, so each struct js_event field is visible: time value type number. */
function hex(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
}

// What a 2-axis, 3-button pad sends on open at t = 1000 ms: every axis and button once, with
// JS_EVENT_INIT (0x80) OR-ed into the type. Axis 1 rests at -32767 (0x8001), button 2 is held.
const INIT_BURST = [
  'e8030000 0000 82 00', // axis 0 = 0
  'e8030000 0180 82 01', // axis 1 = -32767
  'e8030000 0000 81 00', // button 0 released
  'e8030000 0000 81 01', // button 1 released
  'e8030000 0100 81 02', // button 2 pressed
].join(' ');

test('the initial-state burst sets every axis and button; axes are signed as ROS joy_node publishes them', () => {
  const decoder = new JsEventDecoder();
  assert.equal(decoder.push(hex(INIT_BURST)), true);
  assert.deepEqual(decoder.axes, [0, 1], 'kernel -32767 is +1 in Joy (joy_node scales by -1/32767)');
  assert.deepEqual(decoder.buttons, [0, 0, 1]);
  assert.deepEqual(decoder.stats, { events: 5, unknownType: 0, outOfRange: 0 });
  assert.ok(Object.is(decoder.axes[0], 0), 'a centred axis is +0, not -0');
});

test('axis scaling: full scale is exactly +-1, -32768 reads as -32767, invertAxes: false keeps the kernel sign', () => {
  const inverted = new JsEventDecoder();
  const raw = new JsEventDecoder({ invertAxes: false });
  const cases: [string, number][] = [
    ['d0070000 ff7f 02 00', 32767],
    ['d0070000 0180 02 00', -32767],
    ['d0070000 0080 02 00', -32768],
    ['d0070000 0040 02 00', 16384],
    ['d0070000 00c0 02 00', -16384],
    ['d0070000 0100 02 00', 1],
  ];
  for (const [bytes, value] of cases) {
    inverted.push(hex(bytes));
    raw.push(hex(bytes));
    const expected = Math.max(-32767, value) / 32767;
    assert.equal(inverted.axes[0], -expected, `inverted ${value}`);
    assert.equal(raw.axes[0], expected, `raw ${value}`);
  }
  assert.equal(raw.axes[0], 1 / 32767);
  inverted.push(hex('d0070000 ff7f 02 00'));
  assert.equal(inverted.axes[0], -1);
  raw.push(hex('d0070000 0080 02 00'));
  assert.equal(raw.axes[0], -1);
});

test('buttons are 0 or 1; an event that repeats the current value is not a change', () => {
  const decoder = new JsEventDecoder();
  assert.equal(decoder.push(hex('10000000 0100 01 01')), true, 'button 1 pressed: button 0 appears too');
  assert.deepEqual(decoder.buttons, [0, 1]);
  assert.equal(decoder.push(hex('11000000 0100 01 01')), false, 'still pressed');
  assert.equal(decoder.push(hex('12000000 0500 01 01')), false, 'any non-zero value is pressed');
  assert.equal(decoder.push(hex('13000000 0000 01 01')), true);
  assert.deepEqual(decoder.buttons, [0, 0]);
  assert.equal(decoder.stats.events, 4);
});

test('events split across chunks at every byte boundary decode the same as whole', () => {
  const whole = hex(INIT_BURST + ' f0030000 0040 02 00 f4030000 0100 01 00');
  const reference = new JsEventDecoder();
  reference.push(whole);
  for (let cut = 1; cut < whole.length; cut++) {
    const decoder = new JsEventDecoder();
    decoder.push(whole.subarray(0, cut));
    assert.equal(decoder.pendingBytes, cut % 8, `cut ${cut}`);
    decoder.push(whole.subarray(cut));
    assert.equal(decoder.pendingBytes, 0);
    assert.deepEqual(decoder.axes, reference.axes, `cut ${cut}`);
    assert.deepEqual(decoder.buttons, reference.buttons, `cut ${cut}`);
    assert.equal(decoder.stats.events, 7);
  }
  // One byte at a time, through a reused read buffer (the node reads into one buffer).
  const decoder = new JsEventDecoder();
  const buffer = new Uint8Array(1);
  for (const byte of whole) {
    buffer[0] = byte;
    decoder.push(buffer);
  }
  assert.deepEqual(decoder.axes, reference.axes);
  assert.deepEqual(decoder.buttons, reference.buttons);
  assert.deepEqual(reference.axes, [-16384 / 32767, 1]);
  assert.deepEqual(reference.buttons, [1, 0, 1]);
});

test('unknown event types are counted, never thrown, and change nothing', () => {
  const decoder = new JsEventDecoder();
  decoder.push(hex('01000000 0100 01 00'));
  assert.equal(decoder.push(hex('02000000 0100 04 00 03000000 0100 84 00 04000000 ffff 00 07')), false);
  assert.equal(decoder.push(hex('05000000 0100 83 09')), false, 'button|axis is not a type either');
  assert.deepEqual(decoder.stats, { events: 5, unknownType: 4, outOfRange: 0 });
  assert.deepEqual(decoder.axes, []);
  assert.deepEqual(decoder.buttons, [1]);
});

test('numbers up to 63 grow the arrays with zeros; 64 and above are counted and ignored', () => {
  const decoder = new JsEventDecoder();
  assert.equal(decoder.push(hex('01000000 0100 01 3f')), true);
  assert.equal(decoder.buttons.length, MAX_JS_INPUTS);
  assert.deepEqual(decoder.buttons.slice(0, 63), new Array(63).fill(0));
  assert.equal(decoder.buttons[63], 1);
  assert.equal(decoder.push(hex('02000000 0100 01 40 03000000 0040 82 ff')), false);
  assert.deepEqual(decoder.stats, { events: 3, unknownType: 0, outOfRange: 2 });
  assert.equal(decoder.buttons.length, MAX_JS_INPUTS);
  assert.deepEqual(decoder.axes, []);
  assert.equal(decoder.push(hex('04000000 0040 02 02')), true, 'an axis event after bad ones still decodes');
  assert.deepEqual(decoder.axes, [0, 0, -16384 / 32767]);
});

test('reset() forgets the state and a half-received event, and keeps the counts', () => {
  const decoder = new JsEventDecoder();
  decoder.push(hex(INIT_BURST));
  decoder.push(hex('f0030000 00'));
  assert.equal(decoder.pendingBytes, 5);
  decoder.reset();
  assert.deepEqual([decoder.axes, decoder.buttons, decoder.pendingBytes], [[], [], 0]);
  decoder.push(hex('01000000 0100 01 00'));
  assert.deepEqual(decoder.buttons, [1], 'the stale half event is not glued to new bytes');
  assert.equal(decoder.stats.events, 6);
});

test('encodeJsEvent writes the kernel layout (little-endian time, value, type, number)', () => {
  assert.deepEqual(
    encodeJsEvent({ time: 1000, value: -32767, type: JS_EVENT_AXIS | JS_EVENT_INIT, number: 1 }),
    hex('e8030000 0180 82 01'),
  );
  assert.deepEqual(
    encodeJsEvent({ time: 0xfffffffe, value: 1, type: JS_EVENT_BUTTON, number: 63 }),
    hex('feffffff 0100 01 3f'),
  );
  assert.deepEqual(
    encodeJsEvents([
      { time: 1000, value: 0, type: JS_EVENT_AXIS | JS_EVENT_INIT, number: 0 },
      { time: 1000, value: -32767, type: JS_EVENT_AXIS | JS_EVENT_INIT, number: 1 },
    ]),
    hex(INIT_BURST).subarray(0, 16),
  );
});
