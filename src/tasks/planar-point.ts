/**
 * Forward kinematics of a planar chain declared in a task: p = origin + sum_i l_i (cos phi_i,
 * sin phi_i), with phi_i a signed sum of state angles plus an offset. Indices are resolved
 * once so evaluation allocates nothing.
 */
import type { PlanarPoint } from '../config/task-schema.js';

interface CompiledLink {
  length: number;
  offset: number;
  plus: Int32Array;
  minus: Int32Array;
}

export class PlanarPointEvaluator {
  private readonly origin: [number | null, number | null];
  private readonly originConst: [number, number];
  private readonly links: CompiledLink[];

  constructor(point: PlanarPoint, stateIndex: (name: string) => number) {
    const coord = (c: number | string): [number | null, number] =>
      typeof c === 'number' ? [null, c] : [stateIndex(c), 0];
    const [ix, cx] = coord(point.origin[0]);
    const [iy, cy] = coord(point.origin[1]);
    this.origin = [ix, iy];
    this.originConst = [cx, cy];
    this.links = point.links.map((link) => ({
      length: link.length,
      offset: link.angle.offset,
      plus: Int32Array.from(link.angle.plus.map(stateIndex)),
      minus: Int32Array.from(link.angle.minus.map(stateIndex)),
    }));
  }

  /** Writes the point for `state` into out[0], out[1] and returns out. */
  evaluate(state: ArrayLike<number>, out: Float64Array): Float64Array {
    return this.evaluateAt(state, 0, out);
  }

  /** As evaluate(), for the state starting at states[offset] (a row of a flat batch). */
  evaluateAt(states: ArrayLike<number>, offset: number, out: Float64Array): Float64Array {
    let x = this.origin[0] === null ? this.originConst[0] : states[offset + this.origin[0]];
    let y = this.origin[1] === null ? this.originConst[1] : states[offset + this.origin[1]];
    for (let l = 0; l < this.links.length; l++) {
      const link = this.links[l];
      let phi = link.offset;
      for (let k = 0; k < link.plus.length; k++) phi += states[offset + link.plus[k]];
      for (let k = 0; k < link.minus.length; k++) phi -= states[offset + link.minus[k]];
      x += link.length * Math.cos(phi);
      y += link.length * Math.sin(phi);
    }
    out[0] = x;
    out[1] = y;
    return out;
  }
}
