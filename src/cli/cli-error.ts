/**
 * Turns an error into what the user sees: the message alone for input errors (they already
 * name the file, field or value), the stack for internal failures. Returns the exit code.
 */
import { ConfigError } from '../config/config-error.js';
import { CalibrationError } from '../hardware/calibration/calibration-error.js';
import { ModelArtifactError } from '../models/model-artifact.js';
import { MujocoModelError } from '../sim/mujoco-model-error.js';

export function reportCliError(error: unknown): number {
  if (
    error instanceof ConfigError ||
    error instanceof MujocoModelError ||
    error instanceof ModelArtifactError ||
    error instanceof CalibrationError ||
    error instanceof RangeError
  ) {
    process.stderr.write(`mbrl: ${error.message}\n`);
    return 2;
  }
  process.stderr.write(
    `mbrl: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  return 1;
}
