/** commander argument parsers that reject malformed numbers instead of yielding NaN. */
import { InvalidArgumentError } from 'commander';

export function parseInteger(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n))
    throw new InvalidArgumentError(`expected an integer, got "${value}"`);
  return n;
}

export function parseNonNegative(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError(`expected a non-negative number, got "${value}"`);
  return n;
}

export function parsePositiveInteger(value: string): number {
  const n = parseInteger(value);
  if (n <= 0) throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return n;
}
