/**
 * Decodes the Linux joystick API (/dev/input/jsN, Documentation/input/joydev/joystick-api.rst):
 * a stream of 8-byte `struct js_event { __u32 time; __s16 value; __u8 type; __u8 number; }` in
 * the host's byte order (little-endian on x86 and arm), read in chunks that need not end on an
 * event boundary. Keeps the current axes and buttons as sensor_msgs/Joy carries them.
 *
 * Axes follow ROS's joy_linux_node (and the SDL joy_node), which scale by -1/32767: the kernel
 * reports stick up/left as negative, Joy reports them as +1, so teleop configs written for a
 * ROS joy_node drive the same way here. `invertAxes: false` keeps the kernel's sign.
 */

export const JS_EVENT_BUTTON = 0x01;
export const JS_EVENT_AXIS = 0x02;
/** OR-ed into the type of the synthetic events the driver sends on open (the initial state). */
export const JS_EVENT_INIT = 0x80;
export const JS_EVENT_SIZE = 8;
/** Axes or buttons kept; an event for a higher number is counted as bad and ignored. */
export const MAX_JS_INPUTS = 64;
/** The kernel's full-scale axis value (joydev clamps to +-32767; -32768 is treated the same). */
export const JS_AXIS_MAX = 32767;

export interface JsEvent {
  /** Milliseconds, from the driver's clock (wraps at 2^32). */
  time: number;
  value: number;
  type: number;
  number: number;
}

export interface JsEventDecoderStats {
  /** Complete events decoded, including bad ones. */
  events: number;
  /** Events whose type (without the init flag) is neither button nor axis. */
  unknownType: number;
  /** Axis or button numbers of MAX_JS_INPUTS or more. */
  outOfRange: number;
}

export interface JsEventDecoderOptions {
  /** Default true: axes as ROS joy_node reports them (see the file comment). */
  invertAxes?: boolean;
}

export class JsEventDecoder {
  readonly stats: JsEventDecoderStats = { events: 0, unknownType: 0, outOfRange: 0 };
  private readonly axisValues: number[] = [];
  private readonly buttonValues: number[] = [];
  private readonly axisSign: number;
  /** Bytes of an event split across chunks (always fewer than JS_EVENT_SIZE). */
  private partial: Uint8Array = new Uint8Array(0);

  constructor(options: JsEventDecoderOptions = {}) {
    this.axisSign = (options.invertAxes ?? true) ? -1 : 1;
  }

  /** Current axes in [-1, 1]; grows as higher axis numbers appear, gaps read 0. */
  get axes(): readonly number[] {
    return this.axisValues;
  }

  /** Current buttons, 0 or 1. */
  get buttons(): readonly number[] {
    return this.buttonValues;
  }

  /** Bytes held back waiting for the rest of an event. */
  get pendingBytes(): number {
    return this.partial.length;
  }

  /**
   * Decodes every complete event in `chunk` (after any bytes held from the previous chunk)
   * and returns whether the axes or buttons changed, including growing.
   */
  push(chunk: Uint8Array): boolean {
    let data = chunk;
    if (this.partial.length > 0) {
      data = new Uint8Array(this.partial.length + chunk.length);
      data.set(this.partial);
      data.set(chunk, this.partial.length);
    }
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    let changed = false;
    let offset = 0;
    for (; offset + JS_EVENT_SIZE <= data.length; offset += JS_EVENT_SIZE) {
      changed =
        this.apply({
          time: view.getUint32(offset, true),
          value: view.getInt16(offset + 4, true),
          type: view.getUint8(offset + 6),
          number: view.getUint8(offset + 7),
        }) || changed;
    }
    // Copied: the caller may reuse its read buffer.
    this.partial = data.slice(offset);
    return changed;
  }

  /** Forgets the state and any partial event (a new device session), keeping the stats. */
  reset(): void {
    this.axisValues.length = 0;
    this.buttonValues.length = 0;
    this.partial = new Uint8Array(0);
  }

  private apply(event: JsEvent): boolean {
    this.stats.events++;
    const kind = event.type & ~JS_EVENT_INIT;
    let list: number[];
    let value: number;
    if (kind === JS_EVENT_AXIS) {
      list = this.axisValues;
      const raw = Math.max(-JS_AXIS_MAX, event.value);
      // Divided last so full scale is exactly +-1; `|| 0` turns -0 (an inverted centre) into 0.
      value = (this.axisSign * raw) / JS_AXIS_MAX || 0;
    } else if (kind === JS_EVENT_BUTTON) {
      list = this.buttonValues;
      value = event.value !== 0 ? 1 : 0;
    } else {
      this.stats.unknownType++;
      return false;
    }
    if (event.number >= MAX_JS_INPUTS) {
      this.stats.outOfRange++;
      return false;
    }
    let changed = false;
    while (list.length <= event.number) {
      list.push(0);
      changed = true;
    }
    if (list[event.number] !== value) {
      list[event.number] = value;
      changed = true;
    }
    return changed;
  }
}

/** The bytes of one event as the kernel writes them (for tests and fake devices). */
export function encodeJsEvent(event: JsEvent): Uint8Array {
  const bytes = new Uint8Array(JS_EVENT_SIZE);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, event.time >>> 0, true);
  view.setInt16(4, event.value, true);
  view.setUint8(6, event.type);
  view.setUint8(7, event.number);
  return bytes;
}

/** Several events back to back, as one read() of the device returns them. */
export function encodeJsEvents(events: readonly JsEvent[]): Uint8Array {
  const bytes = new Uint8Array(events.length * JS_EVENT_SIZE);
  events.forEach((e, i) => bytes.set(encodeJsEvent(e), i * JS_EVENT_SIZE));
  return bytes;
}
