/**
 * Runs a zod schema over plain data and turns its issues into messages a person editing YAML can
 * act on: what was expected, what was received, and for a typo'd key which keys are allowed.
 */
import { z } from 'zod';

/** A schema problem at `path`; `atKey` means the mapping key itself (the last path element) is wrong. */
export interface SchemaIssue {
  path: (string | number)[];
  message: string;
  atKey?: boolean;
}

export type SchemaCheck<T> = { ok: true; value: T } | { ok: false; issues: SchemaIssue[] };

export function checkSchema<S extends z.ZodType>(schema: S, data: unknown): SchemaCheck<z.output<S>> {
  // zod's issue for an unknown key does not carry the allowed keys; the error map sees the
  // object schema, so remember its keys per input object for the message built below.
  const allowedKeys = new Map<unknown, string[]>();
  const result = schema.safeParse(data, {
    reportInput: true,
    error: (issue) => {
      if (issue.code === 'unrecognized_keys' && issue.inst instanceof z.ZodObject)
        allowedKeys.set(issue.input, Object.keys(issue.inst.shape));
      return messageFor(issue);
    },
  });
  if (result.success) return { ok: true, value: result.data };
  const issues = result.error.issues.flatMap((issue) => toSchemaIssues(issue, allowedKeys.get(issue.input)));
  return { ok: false, issues };
}

type RawIssue = z.core.$ZodRawIssue;

function toSchemaIssues(issue: z.core.$ZodIssue, allowed: string[] | undefined): SchemaIssue[] {
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  if (issue.code === 'unrecognized_keys') {
    // One issue per key, so each can point at its own line.
    return issue.keys.map((key) => ({
      path: [...path, key],
      atKey: true,
      message: unknownKey(key, allowed),
    }));
  }
  if (issue.code === 'invalid_key') return [{ path, atKey: true, message: issue.message }];
  let message = issue.message;
  // Schema-level custom messages ("expected a kebab-case task name") say what was expected
  // but not what was there; add the received value when it is a simple one.
  const input: unknown = issue.input;
  if (issue.code !== 'custom' && !message.includes('received') && isPrimitive(input))
    message += `, received ${show(input)}`;
  return [{ path, message }];
}

function messageFor(issue: RawIssue): string | undefined {
  const input: unknown = issue.input;
  switch (issue.code) {
    case 'invalid_type': {
      // z.int() reports a non-number as "expected number"; say integer, as the schema does.
      const isInt = issue.inst instanceof z.ZodNumber && issue.inst.isInt;
      const expected = isInt ? 'integer' : typeName(issue.expected);
      if (input === undefined) return `missing required field (expected ${expected})`;
      // YAML's .nan and .inf are numbers to YAML but not to the schema.
      if (typeof input === 'number' && !Number.isFinite(input) && issue.expected === 'number')
        return `expected a finite ${expected}, received ${input}`;
      return `expected ${expected}, received ${describe(input)}`;
    }
    case 'invalid_value':
      return `expected ${oneOf(issue.values)}, received ${show(input)}`;
    case 'invalid_union': {
      const options: unknown = 'options' in issue ? issue.options : undefined;
      if (issue.discriminator !== undefined && Array.isArray(options)) {
        // The path points at the discriminator field; the input is the object holding it.
        const value = isRecord(input) ? input[issue.discriminator] : undefined;
        if (value === undefined) return `missing required field (expected ${oneOf(options)})`;
        return `expected ${oneOf(options)}, received ${show(value)}`;
      }
      return unionMessage(issue.errors, input);
    }
    case 'too_small':
    case 'too_big':
      return sizeMessage(issue, input);
    case 'invalid_format':
      if (issue.format === 'regex' && issue.pattern) return `expected a string matching ${issue.pattern}`;
      if (issue.format === 'url') return 'expected a URL';
      return undefined;
    case 'invalid_key': {
      const inner = issue.issues.map((i) => i.message).join('; ');
      return `invalid key ${show(input)}: ${inner}`;
    }
    default:
      return undefined;
  }
}

function unionMessage(branches: readonly z.core.$ZodIssue[][], input: unknown): string {
  const firsts = branches.map((b) => b[0]).filter((i): i is z.core.$ZodIssue => i !== undefined);
  // When every alternative failed on type alone, "expected number or string" says it all.
  if (firsts.length > 0 && firsts.every((i) => i.code === 'invalid_type' && i.path.length === 0)) {
    const names = firsts.map((i) => (i.code === 'invalid_type' ? typeName(i.expected) : ''));
    return `expected ${[...new Set(names)].join(' or ')}, received ${describe(input)}`;
  }
  if (firsts.length === 0) return `no allowed form matches ${describe(input)}`;
  return `no allowed form matches: ${firsts.map((i) => i.message).join('; or ')}`;
}

type SizeIssue = Extract<RawIssue, { code: 'too_small' | 'too_big' }>;

function sizeMessage(issue: SizeIssue, input: unknown): string | undefined {
  const small = issue.code === 'too_small';
  const limit = Number('minimum' in issue ? issue.minimum : issue.maximum);
  const inclusive = issue.inclusive !== false;
  if (issue.origin === 'number' || issue.origin === 'int') {
    const op = small ? (inclusive ? '>=' : '>') : inclusive ? '<=' : '<';
    return `expected a number ${op} ${limit}, received ${show(input)}`;
  }
  if (issue.origin === 'array' || issue.origin === 'string') {
    if (issue.origin === 'string' && small && limit === 1) return `expected a non-empty string, received ""`;
    const unit = issue.origin === 'array' ? 'item' : 'character';
    const count = Array.isArray(input) || typeof input === 'string' ? input.length : undefined;
    const bound = small ? 'at least' : 'at most';
    const got = count === undefined ? '' : `, received ${count}`;
    return `expected ${bound} ${limit} ${unit}${limit === 1 ? '' : 's'}${got}`;
  }
  return undefined;
}

function unknownKey(key: string, allowed: string[] | undefined): string {
  if (!allowed) return `unknown key "${key}"`;
  const close = allowed.filter((a) => editDistance(a, key) <= Math.max(1, Math.floor(a.length / 4)));
  const hint = close.length > 0 ? `did you mean ${close.map((c) => `"${c}"`).join(' or ')}? ` : '';
  return `unknown key "${key}" (${hint}allowed keys: ${allowed.join(', ') || 'none'})`;
}

/** Edit distance counting swapped neighbours as one edit (the commonest typo); keys are short. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.length][b.length];
}

function typeName(expected: string): string {
  // Say it in YAML terms: a user writes mappings and lists, not objects and arrays.
  const names: Record<string, string> = { object: 'mapping', array: 'list', int: 'integer' };
  return names[expected] ?? expected;
}

function oneOf(values: readonly unknown[]): string {
  const shown = values.map(show);
  return shown.length === 1 ? shown[0] : `one of ${shown.join(' | ')}`;
}

/** Type plus value for simple inputs ("string \"abc\""), type alone for collections. */
function describe(input: unknown): string {
  if (input === null) return 'null (empty value)';
  if (Array.isArray(input)) return 'list';
  if (typeof input === 'object') return 'mapping';
  if (input === undefined) return 'nothing';
  return `${typeof input} ${show(input)}`;
}

function show(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (value === null) return 'null (empty value)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

function isPrimitive(value: unknown): boolean {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
