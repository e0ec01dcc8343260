/**
 * A calibration file (calibration/<robot>.yaml) maps one robot's raw device fields to SI
 * units and back. Sensor fields map raw -> SI; joints then get a zero offset and a sign
 * (position = sign * (field_SI - zero_offset)); command fields map SI -> raw. The version and
 * date say which calibration produced a log, and `mbrl calibrate zero` rewrites the offsets.
 */
import { z } from 'zod';

const identifier = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an identifier ([A-Za-z_][A-Za-z0-9_]*)');
const finite = z.number().refine(Number.isFinite, 'expected a finite number');

/**
 * One field's map. linear: y = scale * x + offset. polynomial: y = sum_i c_i x^i over
 * [domain[0], domain[1]] (the domain bounds the inverse, which the virtual device needs).
 * table: piecewise-linear through (x, y) points with strictly increasing x, clamped at the
 * ends; y must be strictly monotonic so it can be inverted.
 */
export const FieldMapSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('linear'),
    scale: finite.refine((s) => s !== 0, 'scale must be non-zero'),
    offset: finite.default(0),
  }),
  z
    .strictObject({
      type: z.literal('polynomial'),
      /** c_0, c_1, ... (lowest order first). */
      coefficients: z.array(finite).min(2),
      domain: z.tuple([finite, finite]),
    })
    .superRefine((p, ctx) => {
      if (!(p.domain[0] < p.domain[1]))
        ctx.addIssue({
          code: 'custom',
          path: ['domain'],
          message: 'domain must be [low, high] with low < high',
        });
    }),
  z
    .strictObject({
      type: z.literal('table'),
      points: z.array(z.tuple([finite, finite])).min(2),
    })
    .superRefine((t, ctx) => {
      for (let i = 1; i < t.points.length; i++) {
        if (!(t.points[i][0] > t.points[i - 1][0]))
          ctx.addIssue({
            code: 'custom',
            path: ['points', i, 0],
            message: `x must increase strictly (${t.points[i - 1][0]} then ${t.points[i][0]})`,
          });
      }
      const dy = t.points.slice(1).map((p, i) => p[1] - t.points[i][1]);
      if (!(dy.every((d) => d > 0) || dy.every((d) => d < 0)))
        ctx.addIssue({
          code: 'custom',
          path: ['points'],
          message: 'y must be strictly monotonic (invertible)',
        });
    }),
]);
export type FieldMap = z.infer<typeof FieldMapSchema>;

export const JointCalibrationSchema = z.strictObject({
  /** Subtracted from the calibrated position field (SI) before the sign is applied. */
  zero_offset: finite.default(0),
  sign: z.union([z.literal(1), z.literal(-1)]).default(1),
});
export type JointCalibration = z.infer<typeof JointCalibrationSchema>;

export const CalibrationSchema = z.strictObject({
  robot: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'expected a robot name ([A-Za-z][A-Za-z0-9_-]*)'),
  /** Bumped whenever the calibration changes (mbrl calibrate zero does). */
  version: z.int().positive(),
  /** ISO date (YYYY-MM-DD) or date-time of the last calibration. */
  date: z.iso.date().or(z.iso.datetime({ offset: true })),
  /** Sensor fields: raw -> SI. */
  sensors: z.record(identifier, FieldMapSchema),
  /** Joint zero offsets and signs, by joint name. */
  joints: z.record(z.string().min(1), JointCalibrationSchema).default({}),
  /** Command fields: SI -> raw. */
  commands: z.record(identifier, FieldMapSchema),
});
export type CalibrationConfig = z.infer<typeof CalibrationSchema>;
