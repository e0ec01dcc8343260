/**
 * How a transition is stored in MCAP: one JSON message per tick on `/transitions`, described by an
 * embedded `jsonschema` schema (so Foxglove shows the fields), with the task in a metadata record.
 * Writer and reader both check messages with the same zod schema; a problem is reported as the
 * field path and what was wrong with it.
 */
import { z } from 'zod';
import { formatPath } from '../config/config-error.js';
import { TRANSITION_SOURCES, type TransitionLogTask, type TransitionRecord } from './transition-record.js';

export const TRANSITION_TOPIC = '/transitions';
export const TRANSITION_SCHEMA_NAME = 'mbrl_control/Transition';
export const TASK_METADATA_NAME = 'mbrl_control/task';
export const LOG_LIBRARY = 'mbrl-control';
export const LOG_FORMAT_VERSION = '1';

/** A transition as JSON: the record's fields with plain-array vectors. */
export type TransitionWire = Omit<TransitionRecord, 'state' | 'action' | 'nextState'> & {
  state: number[];
  action: number[];
  nextState: number[];
};

// zod 4's z.number() rejects NaN and +-Infinity, so "finite" needs no extra refinement.
const wireSchema = z.object({
  stamp: z.number().min(0),
  episode: z.number().int().min(0),
  step: z.number().int().min(0),
  state: z.array(z.number()),
  action: z.array(z.number()),
  nextState: z.array(z.number()),
  reward: z.number(),
  done: z.boolean(),
  source: z.enum(TRANSITION_SOURCES),
  modelVersion: z.number().int().min(0),
});

export type WireCheck = { ok: true; value: TransitionWire } | { ok: false; field: string; message: string };

/** Validates a decoded message (or a record made plain) against the schema and the task's dimensions. */
export function checkTransitionWire(value: unknown, task: TransitionLogTask): WireCheck {
  const result = wireSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    return { ok: false, field: formatPath(path), message: issue.message };
  }
  const wire = result.data;
  const dims: [keyof TransitionWire & ('state' | 'action' | 'nextState'), number][] = [
    ['state', task.stateNames.length],
    ['action', task.actionNames.length],
    ['nextState', task.stateNames.length],
  ];
  for (const [field, expected] of dims) {
    if (wire[field].length !== expected)
      return {
        ok: false,
        field,
        message: `has ${wire[field].length} values, task "${task.name}" has ${expected}`,
      };
  }
  return { ok: true, value: wire };
}

/** The record with its vectors as plain arrays; anything that is not array-like is left for zod to reject. */
export function toWire(record: TransitionRecord): unknown {
  return {
    stamp: record.stamp,
    episode: record.episode,
    step: record.step,
    state: plainArray(record.state),
    action: plainArray(record.action),
    nextState: plainArray(record.nextState),
    reward: record.reward,
    done: record.done,
    source: record.source,
    modelVersion: record.modelVersion,
  };
}

function plainArray(value: unknown): unknown {
  if (typeof value === 'object' && value !== null && typeof (value as ArrayLike<unknown>).length === 'number')
    return Array.from(value as ArrayLike<unknown>);
  return value;
}

/**
 * The message text. Like JSON.stringify (the same shortest round-trip digits) except that -0 is
 * written as `-0`, which JSON.parse reads back as -0, so every value round-trips exactly.
 */
export function encodeTransitionWire(wire: TransitionWire): string {
  const vector = (values: readonly number[]) => `[${values.map(jsonNumber).join(',')}]`;
  return (
    `{"stamp":${jsonNumber(wire.stamp)},"episode":${wire.episode},"step":${wire.step},` +
    `"state":${vector(wire.state)},"action":${vector(wire.action)},"nextState":${vector(wire.nextState)},` +
    `"reward":${jsonNumber(wire.reward)},"done":${wire.done},"source":${JSON.stringify(wire.source)},` +
    `"modelVersion":${wire.modelVersion}}`
  );
}

function jsonNumber(value: number): string {
  return Object.is(value, -0) ? '-0' : JSON.stringify(value);
}

/** The `jsonschema` schema embedded in each file; the vector lengths and element names come from the task. */
export function transitionJsonSchema(task: TransitionLogTask): object {
  const vector = (description: string, names: readonly string[]) => ({
    type: 'array',
    description: `${description}: [${names.join(', ')}]`,
    items: { type: 'number' },
    minItems: names.length,
    maxItems: names.length,
  });
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: TRANSITION_SCHEMA_NAME,
    description: `One control tick of task "${task.name}": (s_t, a_t, s_{t+1}), reward and provenance.`,
    type: 'object',
    properties: {
      stamp: { type: 'number', description: 'seconds on the node clock of s_t' },
      episode: { type: 'integer', minimum: 0 },
      step: { type: 'integer', minimum: 0, description: 'tick index within the episode' },
      state: vector('s_t', task.stateNames),
      action: vector('a_t as sent', task.actionNames),
      nextState: vector('s_{t+1}', task.stateNames),
      reward: { type: 'number' },
      done: { type: 'boolean' },
      source: { type: 'string', enum: [...TRANSITION_SOURCES] },
      modelVersion: { type: 'integer', minimum: 0, description: '0 = no model' },
    },
    required: [
      'stamp',
      'episode',
      'step',
      'state',
      'action',
      'nextState',
      'reward',
      'done',
      'source',
      'modelVersion',
    ],
  };
}

/** The task as MCAP metadata (string values; the name lists as JSON arrays). */
export function taskMetadata(task: TransitionLogTask): Map<string, string> {
  return new Map([
    ['format_version', LOG_FORMAT_VERSION],
    ['task', task.name],
    ['state_names', JSON.stringify(task.stateNames)],
    ['action_names', JSON.stringify(task.actionNames)],
  ]);
}

const namesSchema = z.array(z.string().min(1)).min(1);
const taskSchema = z.object({
  name: z.string().min(1),
  stateNames: namesSchema,
  actionNames: namesSchema,
});

/** Checks a task given to the writer; returns the problem as `field: message`, or undefined. */
export function checkTask(task: unknown): string | undefined {
  const result = taskSchema.safeParse(task);
  if (result.success) return undefined;
  const issue = result.error.issues[0];
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  return `${formatPath(['task', ...path])}: ${issue.message}`;
}

/** Decodes the task metadata record; returns the problem as a message when it is malformed. */
export function parseTaskMetadata(metadata: ReadonlyMap<string, string>): TransitionLogTask | string {
  const parseNames = (key: string): unknown => {
    const text = metadata.get(key);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  };
  const candidate = {
    name: metadata.get('task'),
    stateNames: parseNames('state_names'),
    actionNames: parseNames('action_names'),
  };
  const problem = checkTask(candidate);
  if (problem !== undefined) return `metadata "${TASK_METADATA_NAME}": ${problem}`;
  return taskSchema.parse(candidate);
}
