/**
 * Reading a transition log back: one MCAP file or a directory of them (in name order, which is
 * time order for the writer's names). A finished file is read with McapIndexedReader, an
 * unfinished one (the writer is still on it, or crashed) front to back with McapStreamReader up
 * to where its data stops. Every message is checked against the schema and the task's dimensions;
 * a bad one is an error naming the file, the message index and the field.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Message } from '@mcap/core';
import type { TransitionBatch } from '../models/transition-batch.js';
import { openIndexedMcap } from './mcap-file-readable.js';
import { recordsToBatch } from './records-to-batch.js';
import { NotMcapError, scanMcapFile } from './mcap-stream-scan.js';
import { TransitionLogError } from './transition-log-error.js';
import { RECOVERED_SUFFIX } from './transition-log-recovery.js';
import {
  TRANSITION_SOURCES,
  type LoggedTransition,
  type TransitionLogTask,
  type TransitionSource,
} from './transition-record.js';
import {
  checkTransitionWire,
  parseTaskMetadata,
  TASK_METADATA_NAME,
  TRANSITION_TOPIC,
} from './transition-wire.js';

export interface TransitionLogFileInfo {
  file: string;
  /** Whether the file has its footer and summary (false: cut off by a crash, or still being written). */
  finished: boolean;
  transitions: number;
  /** Size in bytes. */
  size: number;
  /** For an unfinished file, the byte offset where its readable data stops. */
  stoppedAt?: number;
  /** For an unfinished file, why reading stopped before its end when a record was damaged. */
  stopReason?: string;
}

export interface TransitionLog {
  path: string;
  task: TransitionLogTask;
  /** In the order they were appended. */
  records: LoggedTransition[];
  files: TransitionLogFileInfo[];
}

interface RawFile {
  info: TransitionLogFileInfo;
  task: TransitionLogTask | undefined;
  messages: Message[];
}

const decoder = new TextDecoder();

/** Reads a log file or directory; throws TransitionLogError (a RangeError) for anything unreadable. */
export async function readTransitionLog(path: string): Promise<TransitionLog> {
  const files = await listLogFiles(path);
  let task: TransitionLogTask | undefined;
  let taskFile = '';
  const records: LoggedTransition[] = [];
  const infos: TransitionLogFileInfo[] = [];
  let taskOfEmptyLog: TransitionLogTask | undefined;
  for (const file of files) {
    const raw = await readRawFile(file);
    infos.push(raw.info);
    const fileTask = raw.task;
    taskOfEmptyLog ??= fileTask;
    if (raw.messages.length === 0) continue;
    if (fileTask === undefined)
      throw new TransitionLogError(file, `no "${TASK_METADATA_NAME}" metadata record (the task is unknown)`);
    if (task === undefined) {
      task = fileTask;
      taskFile = file;
    } else if (!sameTask(task, fileTask)) {
      throw new TransitionLogError(
        file,
        `task "${fileTask.name}" [${fileTask.stateNames.join(', ')}] / [${fileTask.actionNames.join(', ')}] ` +
          `differs from "${task.name}" [${task.stateNames.join(', ')}] / [${task.actionNames.join(', ')}] in ${taskFile}`,
      );
    }
    raw.messages.forEach((message, index) => records.push(decodeMessage(file, index, message, fileTask)));
  }
  // Files cut off before their first transition still carry the task.
  task ??= taskOfEmptyLog;
  if (task === undefined) throw new TransitionLogError(path, 'no transitions and no task metadata');
  return { path, task, records, files: infos };
}

/** Sources used for training unless asked otherwise; see `loadTransitionDataset`. */
export const DEFAULT_TRAINING_SOURCES: readonly TransitionSource[] = TRANSITION_SOURCES.filter(
  (s) => s !== 'safe',
);

/**
 * The log's transitions as a training batch (Float32). `sources` selects who chose the action;
 * by default 'safe' ticks are left out: the controller falls back to the safe action exactly when
 * its view of the state is unreliable (stale, missing or non-finite joints, a failing policy), so
 * s_t in those transitions may not be the state the action was applied in. Throws a RangeError
 * when the log's dimensions differ from the ones asked for, or when no transition is selected.
 */
export async function loadTransitionDataset(
  path: string,
  options: { stateDim: number; actionDim: number; sources?: readonly TransitionSource[] },
): Promise<TransitionBatch> {
  const log = await readTransitionLog(path);
  const S = log.task.stateNames.length;
  const A = log.task.actionNames.length;
  if (S !== options.stateDim || A !== options.actionDim)
    throw new TransitionLogError(
      path,
      `log of task "${log.task.name}" has state dim ${S} and action dim ${A}, expected ${options.stateDim} and ${options.actionDim}`,
    );
  const sources = new Set(options.sources ?? DEFAULT_TRAINING_SOURCES);
  const selected = log.records.filter((r) => sources.has(r.source));
  if (selected.length === 0)
    throw new TransitionLogError(
      path,
      `no transitions from sources ${[...sources].join(', ')} (of ${log.records.length} in the log)`,
    );
  return recordsToBatch(selected, S, A);
}

async function listLogFiles(path: string): Promise<string[]> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(path)).isDirectory();
  } catch (error) {
    throw new TransitionLogError(path, describeFsError(error));
  }
  if (!isDirectory) return [path];
  const names = (await readdir(path)).filter((n) => n.endsWith('.mcap'));
  const present = new Set(names);
  // A `.recovered.mcap` next to its original is the leftover of an interrupted recovery (a copy).
  const files = names
    .filter(
      (n) => !(n.endsWith(RECOVERED_SUFFIX) && present.has(n.slice(0, -RECOVERED_SUFFIX.length) + '.mcap')),
    )
    .sort();
  if (files.length === 0) throw new TransitionLogError(path, 'no .mcap files in the directory');
  return files.map((n) => join(path, n));
}

async function readRawFile(file: string): Promise<RawFile> {
  let indexed;
  try {
    indexed = await openIndexedMcap(file);
  } catch (error) {
    throw new TransitionLogError(file, describeFsError(error));
  }
  if (indexed !== undefined) {
    try {
      const { reader } = indexed;
      let task: TransitionLogTask | undefined;
      for await (const record of reader.readMetadata({ name: TASK_METADATA_NAME })) {
        task = taskOf(file, record.metadata);
        break;
      }
      checkChannels(file, reader.channelsById.values());
      const messages: Message[] = [];
      for await (const message of reader.readMessages({ topics: [TRANSITION_TOPIC] })) messages.push(message);
      return {
        info: { file, finished: true, transitions: messages.length, size: indexed.size },
        task,
        messages,
      };
    } catch (error) {
      if (error instanceof TransitionLogError) throw error;
      throw new TransitionLogError(file, (error as Error).message);
    } finally {
      await indexed.close();
    }
  }
  let task: TransitionLogTask | undefined;
  const transitionChannels = new Set<number>();
  const messages: Message[] = [];
  let scan;
  try {
    scan = await scanMcapFile(file, (record) => {
      if (record.type === 'Metadata' && record.name === TASK_METADATA_NAME && task === undefined)
        task = taskOf(file, record.metadata);
      else if (record.type === 'Channel') {
        checkChannels(file, [record]);
        if (record.topic === TRANSITION_TOPIC) transitionChannels.add(record.id);
      } else if (record.type === 'Message' && transitionChannels.has(record.channelId)) messages.push(record);
    });
  } catch (error) {
    if (error instanceof TransitionLogError) throw error;
    throw new TransitionLogError(
      file,
      error instanceof NotMcapError ? error.message : describeFsError(error),
    );
  }
  const info: TransitionLogFileInfo = {
    file,
    finished: scan.complete,
    transitions: messages.length,
    size: scan.size,
  };
  if (!scan.complete) info.stoppedAt = scan.stoppedAt;
  if (scan.error !== undefined) info.stopReason = scan.error;
  return { info, task, messages };
}

function checkChannels(file: string, channels: Iterable<{ topic: string; messageEncoding: string }>): void {
  for (const channel of channels)
    if (channel.topic === TRANSITION_TOPIC && channel.messageEncoding !== 'json')
      throw new TransitionLogError(
        file,
        `channel ${TRANSITION_TOPIC} has message encoding "${channel.messageEncoding}", expected "json"`,
      );
}

function taskOf(file: string, metadata: ReadonlyMap<string, string>): TransitionLogTask {
  const task = parseTaskMetadata(metadata);
  if (typeof task === 'string') throw new TransitionLogError(file, task);
  return task;
}

function decodeMessage(
  file: string,
  index: number,
  message: Message,
  task: TransitionLogTask,
): LoggedTransition {
  const where = `message ${index}`;
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(message.data));
  } catch (error) {
    throw new TransitionLogError(file, `invalid JSON: ${(error as Error).message}`, where);
  }
  const check = checkTransitionWire(value, task);
  if (!check.ok) throw new TransitionLogError(file, check.message, where, check.field);
  const wire = check.value;
  return {
    ...wire,
    state: Float64Array.from(wire.state),
    action: Float64Array.from(wire.action),
    nextState: Float64Array.from(wire.nextState),
  };
}

function sameTask(a: TransitionLogTask, b: TransitionLogTask): boolean {
  const same = (x: readonly string[], y: readonly string[]) =>
    x.length === y.length && x.every((v, i) => v === y[i]);
  return a.name === b.name && same(a.stateNames, b.stateNames) && same(a.actionNames, b.actionNames);
}

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return (error as Error).message;
}
