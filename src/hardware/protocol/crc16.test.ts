import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc16, crcByteLength } from './crc16.js';

const check = new TextEncoder().encode('123456789');

test('check values for "123456789": CCITT-FALSE 0x29B1, MODBUS 0x4B37', () => {
  assert.equal(crc16('crc16-ccitt', check), 0x29b1);
  assert.equal(crc16('crc16-modbus', check), 0x4b37);
});

test('start/end select a sub-range; empty input gives the init value; none is 0 and 0 bytes', () => {
  const padded = new Uint8Array([0xde, 0xad, ...check, 0xbe]);
  assert.equal(crc16('crc16-ccitt', padded, 2, 11), 0x29b1);
  assert.equal(crc16('crc16-modbus', padded, 2, 11), 0x4b37);
  assert.equal(crc16('crc16-ccitt', padded, 3, 3), 0xffff);
  assert.equal(crc16('none', check), 0);
  assert.equal(crcByteLength('none'), 0);
  assert.equal(crcByteLength('crc16-ccitt'), 2);
  assert.equal(crcByteLength('crc16-modbus'), 2);
});

test('Modbus RTU request 01 03 00 00 00 0A has CRC C5 CD (low byte first on the wire)', () => {
  const c = crc16('crc16-modbus', new Uint8Array([0x01, 0x03, 0x00, 0x00, 0x00, 0x0a]));
  assert.equal(c & 0xff, 0xc5);
  assert.equal(c >>> 8, 0xcd);
});

test('a single flipped bit always changes the CRC', () => {
  const data = new Uint8Array(64).map((_, i) => (i * 37 + 11) & 0xff);
  for (const kind of ['crc16-ccitt', 'crc16-modbus'] as const) {
    const ref = crc16(kind, data);
    for (let bit = 0; bit < data.length * 8; bit++) {
      data[bit >> 3] ^= 1 << (bit & 7);
      assert.notEqual(crc16(kind, data), ref);
      data[bit >> 3] ^= 1 << (bit & 7);
    }
  }
});
