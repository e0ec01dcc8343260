/**
 * The serial wire protocol of one device: its framing (line, COBS or length-prefixed) applied
 * to its sensor and command frame layouts. The driver decodes sensor frames and encodes
 * commands; the virtual device does the reverse, so both ends share this one implementation.
 */
import type { FrameLayout, FramingSpec, SerialDevice } from '../../config/device-schema.js';
import { AsciiLayoutCodec } from './ascii-layout-codec.js';
import { cobsMaxEncodedLength } from './cobs.js';
import { CobsFramer, encodeCobsFrame } from './cobs-framer.js';
import { crcByteLength } from './crc16.js';
import { FieldLayoutCodec } from './field-layout-codec.js';
import { LayoutFrameDecoder, type FrameDecoder, type FrameDecoderHandlers } from './frame-decoder.js';
import { LengthPrefixFramer, encodeLengthPrefixFrame } from './length-prefix-framer.js';
import { LineFramer, encodeLine } from './line-framer.js';

/** One layout under the device's framing. */
interface Channel {
  readonly fieldCount: number;
  decoder(handlers: FrameDecoderHandlers): FrameDecoder;
  encode(values: ArrayLike<number>): Uint8Array;
}

export class WireProtocol {
  readonly sensorFieldCount: number;
  readonly commandFieldCount: number;

  private constructor(
    private readonly sensor: Channel,
    private readonly command: Channel,
  ) {
    this.sensorFieldCount = sensor.fieldCount;
    this.commandFieldCount = command.fieldCount;
  }

  /** Throws RangeError if a binary layout cannot fit the framing's max_frame_bytes or length field. */
  static forDevice(device: SerialDevice): WireProtocol {
    return new WireProtocol(
      channel(device.framing, device.sensor_frame, 'sensor_frame'),
      channel(device.framing, device.command_frame, 'command_frame'),
    );
  }

  /** A decoder of device.sensor_frame frames. */
  sensorDecoder(handlers: FrameDecoderHandlers): FrameDecoder {
    return this.sensor.decoder(handlers);
  }

  /** A decoder of device.command_frame frames (the virtual device's side). */
  commandDecoder(handlers: FrameDecoderHandlers): FrameDecoder {
    return this.command.decoder(handlers);
  }

  /** Complete framed bytes of a sensor frame, ready to write; RangeError for values that do not fit. */
  encodeSensor(values: ArrayLike<number>): Uint8Array {
    return this.sensor.encode(values);
  }

  /** Complete framed bytes of a command frame, ready to write; RangeError for values that do not fit. */
  encodeCommand(values: ArrayLike<number>): Uint8Array {
    return this.command.encode(values);
  }
}

function channel(framing: FramingSpec, layout: FrameLayout, what: string): Channel {
  switch (framing.type) {
    case 'line': {
      const codec = new AsciiLayoutCodec(layout);
      const { checksum, max_line_bytes: max } = framing;
      return {
        fieldCount: codec.fieldCount,
        decoder: (handlers) =>
          new LayoutFrameDecoder((sink) => new LineFramer(sink, checksum, max), codec, handlers),
        encode: (values) => encodeLine(codec.encode(values), checksum, max),
      };
    }
    case 'cobs': {
      const codec = new FieldLayoutCodec(layout);
      const { crc, max_frame_bytes: max } = framing;
      const worst = cobsMaxEncodedLength(codec.payloadLength + crcByteLength(crc));
      if (worst > max) {
        throw new RangeError(
          `${what} takes up to ${worst} encoded bytes, more than max_frame_bytes (${max})`,
        );
      }
      // Payload staging with room for the CRC; encoding copies it out, so it is reusable.
      const staging = new Uint8Array(codec.payloadLength + crcByteLength(crc));
      return {
        fieldCount: codec.fieldCount,
        decoder: (handlers) =>
          new LayoutFrameDecoder((sink) => new CobsFramer(sink, crc, max), codec, handlers),
        encode: (values) => encodeCobsFrame(staging, codec.encodeInto(values, staging, 0), crc),
      };
    }
    case 'length_prefix': {
      const codec = new FieldLayoutCodec(layout);
      const spec = framing;
      const total = spec.sync.length + spec.length_bytes + codec.payloadLength + crcByteLength(spec.crc);
      if (total > spec.max_frame_bytes) {
        throw new RangeError(
          `${what} takes ${total} bytes, more than max_frame_bytes (${spec.max_frame_bytes})`,
        );
      }
      if (spec.length_bytes === 1 && codec.payloadLength > 0xff) {
        throw new RangeError(`${what} payload of ${codec.payloadLength} bytes does not fit a 1-byte length`);
      }
      const staging = new Uint8Array(codec.payloadLength);
      return {
        fieldCount: codec.fieldCount,
        decoder: (handlers) =>
          new LayoutFrameDecoder((sink) => new LengthPrefixFramer(sink, spec), codec, handlers),
        encode: (values) => encodeLengthPrefixFrame(staging, 0, codec.encodeInto(values, staging, 0), spec),
      };
    }
  }
}
