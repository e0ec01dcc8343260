import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameError, hexValue, previewBytes } from './frame-error.js';

const ascii = (s: string) => new TextEncoder().encode(s);

test('message says what and where, with the preview', () => {
  const line = ascii('S,1,2*1F');
  const e = new FrameError(
    'checksum',
    1234,
    'expected 0x3A, got 0x1F',
    previewBytes(line, 0, line.length, true),
    'line',
  );
  assert.equal(e.message, 'checksum mismatch at byte 1234: expected 0x3A, got 0x1F (line "S,1,2*1F")');
  assert.equal(e.kind, 'checksum');
  assert.equal(e.streamOffset, 1234);
  assert.equal(e.preview, '"S,1,2*1F"');
  assert.equal(e.name, 'FrameError');
  assert.ok(e instanceof Error);
  const f = new FrameError('field_count', 88, 'expected 5 fields, got 4', '');
  assert.equal(f.message, 'field count at byte 88: expected 5 fields, got 4');
});

test('previews show at most 32 bytes, hex or escaped ASCII', () => {
  const bytes = new Uint8Array(40).map((_, i) => i);
  const hex = previewBytes(bytes, 0, 40, false);
  assert.equal(hex.split(' ').length, 32);
  assert.ok(hex.startsWith('00 01 02') && hex.endsWith('1f...'));
  assert.equal(previewBytes(bytes, 3, 5, false), '03 04');
  assert.equal(previewBytes(ascii('a"b\\\r\x01\xff'), 0, 6, true), '"a\\"b\\\\\\r\\x01"');
  assert.equal(previewBytes(ascii('x'.repeat(33)), 0, 33, true), `"${'x'.repeat(32)}"...`);
  assert.equal(hexValue(0x3a, 2), '0x3A');
  assert.equal(hexValue(0x29b1, 4), '0x29B1');
});

test('the stack names FrameError', () => {
  const e = new FrameError('garbage', 0, '3 bytes skipped', '01 02 03');
  assert.ok(e.stack?.startsWith('FrameError: garbage at byte 0: 3 bytes skipped (frame 01 02 03)'), e.stack);
});
