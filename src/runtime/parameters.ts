/**
 * Node parameters with rclcpp's rules: declare before use, an override (from a params file)
 * wins over the default, the type is fixed at declaration, descriptors constrain values.
 * Every error names the node and the parameter so a bad params file is easy to fix.
 */
import { errorText } from './error-text.js';
import { ConsoleLogger } from './logger.js';
import type {
  Logger,
  ParameterChangeListener,
  ParameterDescriptor,
  ParameterValue,
  SetParameterResult,
} from './node-api.js';

/** '[]' is an empty array whose element type is not known yet; it narrows on the first non-empty value. */
type Kind = 'boolean' | 'number' | 'string' | 'boolean[]' | 'number[]' | 'string[]' | '[]';

function kindOf(value: unknown): Kind | undefined {
  switch (typeof value) {
    case 'boolean':
    case 'number':
    case 'string':
      return typeof value as Kind;
  }
  if (!Array.isArray(value)) return undefined;
  if (value.length === 0) return '[]';
  const element = typeof value[0];
  if (element !== 'boolean' && element !== 'number' && element !== 'string') return undefined;
  // Parameters are homogeneous arrays (rcl has no mixed array type).
  if (!value.every((v) => typeof v === element)) return undefined;
  return `${element}[]`;
}

function compatible(declared: Kind, actual: Kind): boolean {
  if (declared === actual) return true;
  return (declared === '[]' && actual.endsWith('[]')) || (actual === '[]' && declared.endsWith('[]'));
}

function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

function copy<V extends ParameterValue>(value: V): V {
  return (Array.isArray(value) ? [...value] : value) as V;
}

interface Entry {
  kind: Kind;
  value: ParameterValue;
  descriptor: ParameterDescriptor;
}

export class ParameterStore {
  private readonly entries = new Map<string, Entry>();
  private readonly listeners: ParameterChangeListener[] = [];
  private readonly overrides: Map<string, ParameterValue>;

  /** nodeName is used in error messages; give the fully qualified name ("/robot/controller"). */
  constructor(
    readonly nodeName: string,
    overrides: Record<string, ParameterValue> = {},
    private readonly logger: Logger = new ConsoleLogger(nodeName),
  ) {
    this.overrides = new Map(Object.entries(overrides));
  }

  private label(name: string): string {
    return `parameter '${name}' of node '${this.nodeName}'`;
  }

  /** Declares a parameter and returns its initial value (the override if one was given). */
  declare<V extends ParameterValue>(name: string, defaultValue: V, descriptor: ParameterDescriptor = {}): V {
    if (name.trim() === '' || /\s/.test(name)) {
      throw new Error(
        `invalid parameter name '${name}' on node '${this.nodeName}': empty or contains spaces`,
      );
    }
    if (this.entries.has(name)) throw new Error(`${this.label(name)} is already declared`);
    let kind = kindOf(defaultValue);
    if (kind === undefined) {
      throw new Error(
        `${this.label(name)}: default ${show(defaultValue)} is not a boolean, number, string or homogeneous array`,
      );
    }
    this.checkDescriptor(name, kind, descriptor);
    const problem = this.validate(kind, defaultValue, descriptor);
    if (problem !== undefined) throw new Error(`${this.label(name)}: default ${problem}`);

    let value: ParameterValue = defaultValue;
    if (this.overrides.has(name)) {
      const override = this.overrides.get(name) as ParameterValue;
      const bad = this.validate(kind, override, descriptor);
      if (bad !== undefined) throw new Error(`${this.label(name)}: override ${bad}`);
      value = override;
      kind = narrowed(kind, override);
    }
    this.entries.set(name, { kind, value: copy(value), descriptor: { ...descriptor } });
    return copy(value) as V;
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  get(name: string): ParameterValue {
    const entry = this.entries.get(name);
    if (entry === undefined) throw new Error(`${this.label(name)} is not declared`);
    return copy(entry.value);
  }

  descriptor(name: string): ParameterDescriptor | undefined {
    const entry = this.entries.get(name);
    return entry === undefined ? undefined : { ...entry.descriptor };
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  /** Overrides that no declaration used: usually a typo in a params file. */
  unusedOverrides(): string[] {
    return [...this.overrides.keys()].filter((name) => !this.entries.has(name));
  }

  set(name: string, value: ParameterValue): SetParameterResult {
    const entry = this.entries.get(name);
    if (entry === undefined) return { successful: false, reason: `${this.label(name)} is not declared` };
    if (entry.descriptor.readOnly === true) {
      return { successful: false, reason: `${this.label(name)} is read-only` };
    }
    const problem = this.validate(entry.kind, value, entry.descriptor);
    if (problem !== undefined) return { successful: false, reason: `${this.label(name)}: ${problem}` };
    entry.kind = narrowed(entry.kind, value);
    entry.value = copy(value);
    for (const listener of [...this.listeners]) {
      try {
        listener(name, copy(value));
      } catch (err) {
        this.logger.error(`parameter change listener for ${this.label(name)} threw: ${errorText(err)}`);
      }
    }
    return { successful: true, reason: '' };
  }

  /** Called after each successful set; returns an unsubscribe function. */
  onChange(listener: ParameterChangeListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  private checkDescriptor(name: string, kind: Kind, d: ParameterDescriptor): void {
    const numeric = kind === 'number' || kind === 'number[]' || kind === '[]';
    if ((d.range !== undefined || d.integer === true) && !numeric) {
      throw new Error(`${this.label(name)}: range/integer constraints need a number parameter, not ${kind}`);
    }
    if (d.range !== undefined) {
      const { min, max, step } = d.range;
      if (!(min <= max)) throw new Error(`${this.label(name)}: range min ${min} is greater than max ${max}`);
      if (step !== undefined && !(step >= 0))
        throw new Error(`${this.label(name)}: range step ${step} is negative`);
    }
  }

  /** Returns why `value` is not acceptable, or undefined if it is. */
  private validate(kind: Kind, value: unknown, d: ParameterDescriptor): string | undefined {
    const actual = kindOf(value);
    if (actual === undefined) return `${show(value)} is not a boolean, number, string or homogeneous array`;
    if (!compatible(kind, actual)) return `expected ${kind}, got ${actual} ${show(value)}`;
    const numbers = typeof value === 'number' ? [value] : actual === 'number[]' ? (value as number[]) : [];
    for (const n of numbers) {
      if (Number.isNaN(n)) return 'value is NaN';
      if (d.integer === true && !Number.isInteger(n)) return `${n} is not an integer`;
      if (d.range !== undefined && !inRange(n, d.range)) {
        const step = d.range.step ? ` step ${d.range.step}` : '';
        return `${n} is outside the range [${d.range.min}, ${d.range.max}]${step}`;
      }
    }
    return undefined;
  }
}

function inRange(n: number, range: { min: number; max: number; step?: number }): boolean {
  if (n < range.min || n > range.max) return false;
  // As rclcpp: with a step, values must sit on min + k*step, or equal max.
  if (!range.step || n === range.max) return true;
  const k = (n - range.min) / range.step;
  return Math.abs(k - Math.round(k)) <= 1e-9 * Math.max(1, Math.abs(k));
}

function narrowed(kind: Kind, value: ParameterValue): Kind {
  const actual = kindOf(value);
  return kind === '[]' && actual !== undefined ? actual : kind;
}
