/**
 * `mbrl calibrate zero`: joint zero offsets from raw samples taken while the robot is held at a
 * known pose (the cart-pole's pole hanging at rest), and rewriting the calibration file in
 * place without losing the comments that explain its numbers.
 */
import { CalibrationError } from './calibration-error.js';
import {
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { Document, isScalar, parseDocument } from 'yaml';
import type { CalibrationConfig } from '../../config/calibration-schema.js';
import { CalibrationSchema } from '../../config/calibration-schema.js';
import { ConfigError } from '../../config/config-error.js';
import { checkSchema } from '../../config/schema-check.js';
import type { DeviceMapping } from '../device-mapping.js';
import type { Calibration } from './calibration.js';

export interface ZeroCalibrationOptions {
  calibration: Calibration;
  mapping: DeviceMapping;
  /** Raw sensor values, each in mapping.sensorFields order. */
  rawSamples: ArrayLike<number>[];
  /** The held pose: SI position of each joint (as published), by joint name. */
  pose: Record<string, number>;
  /** Joints to zero; default every joint named in `pose`. */
  joints?: string[];
  /** Default 10. */
  minSamples?: number;
  /** Largest standard deviation of a joint's calibrated position (SI) still counted as held; default 0.01. */
  maxStd?: number;
  /** The calibration date to record; default now (local calendar date). */
  today?: Date;
}

export interface ZeroCalibrationResult {
  config: CalibrationConfig;
  offsets: Record<string, { before: number; after: number; std: number }>;
}

/**
 * zero_offset = mean(cal(raw position)) - sign * pose, so that the published position
 * sign * (cal(raw) - zero_offset) equals the pose. Throws if there are fewer than minSamples
 * samples, any sample value is non-finite, or a joint moved (std > maxStd). Returns a new config
 * with version + 1 and today's date; everything else is unchanged.
 */
export function zeroCalibration(options: ZeroCalibrationOptions): ZeroCalibrationResult {
  const { calibration, mapping, rawSamples, pose } = options;
  const minSamples = options.minSamples ?? 10;
  const maxStd = options.maxStd ?? 0.01;
  const joints = options.joints ?? Object.keys(pose);
  if (joints.length === 0)
    throw new CalibrationError('no joints to zero (give a pose for at least one joint)');
  if (rawSamples.length < minSamples)
    throw new CalibrationError(
      `zero calibration needs at least ${minSamples} samples, got ${rawSamples.length}`,
    );

  // A non-finite value anywhere means a broken frame; none of that sample can be trusted.
  rawSamples.forEach((sample, k) => {
    if (sample.length !== mapping.sensorFields.length)
      throw new CalibrationError(
        `sample ${k} has ${sample.length} values, expected ${mapping.sensorFields.length}`,
      );
    for (let i = 0; i < sample.length; i++)
      if (!Number.isFinite(sample[i]))
        throw new CalibrationError(`sample ${k} is not finite (${mapping.sensorFields[i]} = ${sample[i]})`);
  });

  const offsets: ZeroCalibrationResult['offsets'] = {};
  for (const joint of joints) {
    if (!Object.hasOwn(pose, joint) || !Number.isFinite(pose[joint]))
      throw new CalibrationError(
        `no finite pose given for joint "${joint}" (pose has: ${Object.keys(pose).join(', ')})`,
      );
    const fieldName = mapping.jointFields(joint)?.position;
    if (fieldName === undefined)
      throw new CalibrationError(
        `joint "${joint}" is not published by the device (joints: ${mapping.jointNames.join(', ')})`,
      );
    const field = { name: fieldName, index: mapping.sensorFields.indexOf(fieldName) };
    const conv = calibration.sensor(field.name);
    if (!conv)
      throw new CalibrationError(`no calibration for sensor field "${field.name}" in ${calibration.file}`);

    const values = rawSamples.map((sample, k) => {
      const value = conv.forward(sample[field.index]);
      if (!Number.isFinite(value))
        throw new CalibrationError(
          `sample ${k} of joint "${joint}" calibrates to ${value} (raw ${sample[field.index]})`,
        );
      return value;
    });
    const { mean, std } = meanStd(values);
    if (!(std <= maxStd))
      throw new CalibrationError(
        `joint "${joint}" moved while sampling: std of its position ${std.toPrecision(3)} > ${maxStd} ` +
          `(hold it still at the pose and retry)`,
      );
    const { zero_offset: before, sign } = calibration.joint(joint);
    offsets[joint] = { before, after: mean - sign * pose[joint], std };
  }

  const config = structuredClone(calibration.config);
  for (const [joint, { after }] of Object.entries(offsets))
    config.joints[joint] = { zero_offset: after, sign: calibration.joint(joint).sign };
  config.version = calibration.config.version + 1;
  config.date = isoDate(options.today ?? new Date());
  return { config, offsets };
}

/**
 * Writes `config` to `file`, changing only the values that differ from what the file holds, so
 * its comments and layout survive; atomically (a temp file renamed over it), so a crash never
 * leaves half a calibration. Changed scalars are replaced in the text itself, so every other
 * byte stays as it was; a structural change (a key added or removed) goes through yaml's
 * setIn/deleteIn, which keeps the comments but re-renders the file. A missing file is created.
 */
export function writeCalibrationFile(file: string, config: CalibrationConfig): void {
  const check = checkSchema(CalibrationSchema, config);
  if (!check.ok) throw new ConfigError(file, check.issues);
  // With the schema's defaults filled in, as the file will read back.
  const target = check.value;

  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (text === undefined) {
    atomicWrite(file, new Document(target).toString());
    return;
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0)
    throw new Error(`cannot update ${file}: it is not valid YAML (${doc.errors[0].message})`);
  // Compare with the file as the schema reads it, so defaulted keys (offset: 0) that did not
  // change are not written out.
  const data: unknown = doc.toJS();
  const parsed = CalibrationSchema.safeParse(data);
  const changes: Change[] = [];
  diff([], parsed.success ? parsed.data : data, target, changes);

  const edited = editScalars(text, doc, changes);
  if (edited !== undefined && holds(edited, target)) {
    atomicWrite(file, edited);
    return;
  }
  for (const c of changes) {
    if (c.remove) doc.deleteIn(c.path);
    else doc.setIn(c.path, c.value);
  }
  const rendered = doc.toString();
  if (!holds(rendered, target))
    throw new Error(`cannot update ${file}: the rewritten file would not read back the same`);
  atomicWrite(file, rendered);
}

interface Change {
  path: (string | number)[];
  value?: unknown;
  remove?: boolean;
}

/** The changes turning `prev` into `next`: values to set, keys to delete. */
function diff(at: (string | number)[], prev: unknown, next: unknown, out: Change[]): void {
  if (isRecord(prev) && isRecord(next)) {
    for (const key of Object.keys(prev))
      if (!Object.hasOwn(next, key)) out.push({ path: [...at, key], remove: true });
    for (const [key, value] of Object.entries(next))
      diff([...at, key], Object.hasOwn(prev, key) ? prev[key] : undefined, value, out);
  } else if (!deepEqual(prev, next)) {
    out.push({ path: at, value: next });
  }
}

/**
 * `text` with each change written over the source of the scalar it replaces, or undefined if
 * some change is not a scalar replacement.
 */
function editScalars(text: string, doc: Document, changes: Change[]): string | undefined {
  const edits: { start: number; end: number; text: string }[] = [];
  for (const c of changes) {
    if (c.remove) return undefined;
    const node: unknown = doc.getIn(c.path, true);
    const rendered = renderScalar(c.value);
    if (!isScalar(node) || !node.range || rendered === undefined) return undefined;
    edits.push({ start: node.range[0], end: node.range[1], text: rendered });
  }
  edits.sort((a, b) => b.start - a.start);
  return edits.reduce((t, e) => t.slice(0, e.start) + e.text + t.slice(e.end), text);
}

/** A number, or a string that reads back as itself in any context (block or flow); else undefined. */
function renderScalar(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string')
    return /^[A-Za-z0-9_][A-Za-z0-9_.:+-]*$/.test(value) ? value : JSON.stringify(value);
  return undefined;
}

/** Whether YAML `text` reads (through the schema) as exactly `config`. */
function holds(text: string, config: CalibrationConfig): boolean {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) return false;
  const parsed = CalibrationSchema.safeParse(doc.toJS());
  return parsed.success && deepEqual(parsed.data, config);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  if (isRecord(a) && isRecord(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]))
    );
  }
  return false;
}

function atomicWrite(file: string, text: string): void {
  // The temp file sits beside the target so the rename stays on one file system (atomic).
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  let mode: number | undefined;
  try {
    mode = statSync(file).mode & 0o777;
  } catch {
    // A new file gets the default mode.
  }
  try {
    const fd = openSync(tmp, 'wx', mode ?? 0o644);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

function meanStd(values: number[]): { mean: number; std: number } {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / Math.max(values.length - 1, 1);
  return { mean, std: Math.sqrt(variance) };
}

/** YYYY-MM-DD of the local calendar day: the day the technician calibrated. */
function isoDate(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}
