/**
 * A calibration that cannot be done as asked: too few samples, a joint that moved, a pose for
 * a joint the device does not have. The user's input or setup is at fault, so the CLI prints
 * the message alone (exit 2), like a config error.
 */
export class CalibrationError extends Error {
  override readonly name = 'CalibrationError';
}
