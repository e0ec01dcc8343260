/**
 * A loaded calibration file (calibration/<robot>.yaml): the converters of its sensor and
 * command fields, built once so a bad map (a polynomial without an inverse) fails at load
 * time, and the joint zero offsets and signs.
 */
import type { CalibrationConfig, JointCalibration } from '../../config/calibration-schema.js';
import { CalibrationSchema } from '../../config/calibration-schema.js';
import { ConfigError } from '../../config/config-error.js';
import type { IssueAt } from '../../config/yaml-source.js';
import { YamlSource } from '../../config/yaml-source.js';
import type { FieldConverter } from './field-converter.js';
import { fieldConverter } from './field-converter.js';

export class Calibration {
  private constructor(
    readonly file: string,
    readonly config: CalibrationConfig,
    private readonly sensors: ReadonlyMap<string, FieldConverter>,
    private readonly commands: ReadonlyMap<string, FieldConverter>,
  ) {}

  /** Reads and validates `file`; problems are ConfigErrors naming the file, line and field. */
  static load(file: string): Calibration {
    const source = YamlSource.read(file);
    const config = source.validate(CalibrationSchema);
    return Calibration.build(config, file, (issues) => source.error(issues));
  }

  /** A calibration from already parsed config; `file` names it in errors and logs. */
  static fromConfig(config: CalibrationConfig, file: string): Calibration {
    return Calibration.build(config, file, (issues) => new ConfigError(file, issues));
  }

  private static build(
    config: CalibrationConfig,
    file: string,
    error: (issues: IssueAt[]) => ConfigError,
  ): Calibration {
    const issues: IssueAt[] = [];
    const converters = (section: 'sensors' | 'commands') => {
      const map = new Map<string, FieldConverter>();
      for (const [name, fieldMap] of Object.entries(config[section])) {
        try {
          map.set(name, fieldConverter(fieldMap));
        } catch (err) {
          issues.push({ path: [section, name], message: err instanceof Error ? err.message : String(err) });
        }
      }
      return map;
    };
    const sensors = converters('sensors');
    const commands = converters('commands');
    if (issues.length > 0) throw error(issues);
    return new Calibration(file, config, sensors, commands);
  }

  /** The converter of a sensor field: forward = raw -> SI. */
  sensor(field: string): FieldConverter | undefined {
    return this.sensors.get(field);
  }

  /** The converter of a command field: forward = SI -> raw. */
  command(field: string): FieldConverter | undefined {
    return this.commands.get(field);
  }

  /** Zero offset and sign of a joint; a joint the file does not list has {0, 1}. */
  joint(name: string): { zero_offset: number; sign: 1 | -1 } {
    const joints: Record<string, JointCalibration> = this.config.joints;
    const j = Object.hasOwn(joints, name) ? joints[name] : undefined;
    return { zero_offset: j?.zero_offset ?? 0, sign: j?.sign ?? 1 };
  }
}
