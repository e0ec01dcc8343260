/** Wraps an angle to [-pi, pi). */
export function wrapAngle(angle: number): number {
  const twoPi = 2 * Math.PI;
  return angle - twoPi * Math.floor((angle + Math.PI) / twoPi);
}
