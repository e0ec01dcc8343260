/**
 * Builds the task's state vector from sensor_msgs/JointState messages: picks each declared
 * joint's position or velocity by name (drivers may publish joints in any order and extra
 * joints), wraps angles, and rejects messages with missing joints or non-finite values.
 */
import type { StateField } from '../../config/task-schema.js';
import { wrapAngle } from '../../math/angles.js';
import type { JointStateMsg } from '../../runtime/messages.js';

export type AssembleResult = { ok: true } | { ok: false; reason: string };

export class StateAssembler {
  readonly dim: number;
  private cachedNames: readonly string[] | null = null;
  private cachedIndex: Int32Array | null = null;

  private readonly offsets: Float64Array;

  /** `jointOffsets` (by joint name) are added to position fields, before angles are wrapped. */
  constructor(
    private readonly fields: readonly StateField[],
    jointOffsets: Readonly<Record<string, number>> = {},
  ) {
    this.dim = fields.length;
    this.offsets = Float64Array.from(fields, (f) =>
      f.quantity === 'position' ? (jointOffsets[f.joint] ?? 0) : 0,
    );
  }

  /** Writes the state from `msg` into `out`; on failure `out` is left untouched. */
  assemble(msg: JointStateMsg, out: Float64Array): AssembleResult {
    const index = this.indexFor(msg.name);
    if (typeof index === 'string') return { ok: false, reason: index };
    for (let i = 0; i < this.fields.length; i++) {
      const field = this.fields[i];
      const source = field.quantity === 'position' ? msg.position : msg.velocity;
      const value = source[index[i]];
      if (typeof value !== 'number' || !Number.isFinite(value))
        return { ok: false, reason: `joint "${field.joint}" ${field.quantity} is ${String(value)}` };
    }
    for (let i = 0; i < this.fields.length; i++) {
      const field = this.fields[i];
      const value = (field.quantity === 'position' ? msg.position : msg.velocity)[index[i]] + this.offsets[i];
      out[i] = field.wrap ? wrapAngle(value) : value;
    }
    return { ok: true };
  }

  /** Joint order is usually fixed per publisher, so the name lookup is cached by content. */
  private indexFor(names: readonly string[]): Int32Array | string {
    if (this.cachedIndex && this.cachedNames && sameNames(this.cachedNames, names)) return this.cachedIndex;
    const index = new Int32Array(this.fields.length);
    for (let i = 0; i < this.fields.length; i++) {
      const k = names.indexOf(this.fields[i].joint);
      if (k < 0)
        return `joint "${this.fields[i].joint}" missing (message has: ${names.join(', ') || 'no joints'})`;
      index[i] = k;
    }
    this.cachedNames = [...names];
    this.cachedIndex = index;
    return index;
  }
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
