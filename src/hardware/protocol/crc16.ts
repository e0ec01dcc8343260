/**
 * The two 16-bit CRCs boards commonly use, table-driven (one lookup per byte):
 * - crc16-ccitt: CRC-16/CCITT-FALSE, poly 0x1021, init 0xFFFF, not reflected, no final XOR;
 *   check value ("123456789") 0x29B1.
 * - crc16-modbus: CRC-16/MODBUS, poly 0x8005 reflected (0xA001), init 0xFFFF; check 0x4B37.
 */
import type { CrcKind } from '../../config/device-schema.js';

function msbFirstTable(poly: number): Uint16Array {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 8;
    for (let k = 0; k < 8; k++) c = c & 0x8000 ? (c << 1) ^ poly : c << 1;
    t[i] = c & 0xffff;
  }
  return t;
}

function lsbFirstTable(reflectedPoly: number): Uint16Array {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ reflectedPoly : c >>> 1;
    t[i] = c;
  }
  return t;
}

const CCITT = msbFirstTable(0x1021);
const MODBUS = lsbFirstTable(0xa001);

/** CRC of bytes[start, end); 0 for 'none'. */
export function crc16(kind: CrcKind, bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0xffff;
  switch (kind) {
    case 'none':
      return 0;
    case 'crc16-ccitt':
      for (let i = start; i < end; i++) crc = ((crc << 8) ^ CCITT[(crc >>> 8) ^ bytes[i]]) & 0xffff;
      return crc;
    case 'crc16-modbus':
      for (let i = start; i < end; i++) crc = (crc >>> 8) ^ MODBUS[(crc ^ bytes[i]) & 0xff];
      return crc;
  }
}

/** Bytes the CRC takes on the wire (stored little-endian after the payload). */
export function crcByteLength(kind: CrcKind): 0 | 2 {
  return kind === 'none' ? 0 : 2;
}
