/**
 * Recovery of an unfinished log file (the writer crashed or was killed before writing the
 * footer): every complete record is read with McapStreamReader up to where the data stops, written
 * to `<name>.recovered.mcap`, fsynced, and renamed over the original, so at every moment either
 * the old or the new file is in place under the original name.
 */
import { rename, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { McapWriter, type Channel, type Message, type Metadata, type Schema } from '@mcap/core';
import { FileSink, syncDirectory } from './file-sink.js';
import { scanMcapFile } from './mcap-stream-scan.js';
import type { TransitionLogTask } from './transition-record.js';
import { LOG_LIBRARY, TASK_METADATA_NAME, TRANSITION_TOPIC, taskMetadata } from './transition-wire.js';

/** What recovery found in an unfinished file. */
export interface RecoveryReport {
  /** The file, now finished in place. */
  file: string;
  /** Transitions (messages on `/transitions`) recovered. */
  records: number;
  /** Byte offset where the readable data stopped (the end of the last complete record). */
  stoppedAt: number;
  /** Size of the unfinished file. */
  size: number;
  /** Why reading stopped before the end of the file, when a record was damaged rather than cut off. */
  reason?: string;
}

export const RECOVERED_SUFFIX = '.recovered.mcap';
const SYNC_EVERY_BYTES = 8 << 20;

/** The temporary name recovery writes `file` to before renaming it over `file`. */
export function recoveryTempPath(file: string): string {
  return file.replace(/\.mcap$/, '') + RECOVERED_SUFFIX;
}

/**
 * Recovers `file` in place. `fallbackTask` is written as the task metadata when the file was cut
 * off before its own (it then holds no transitions either). An empty file is removed.
 */
export async function recoverTransitionLogFile(
  file: string,
  fallbackTask?: TransitionLogTask,
): Promise<RecoveryReport> {
  const header = { profile: '', library: LOG_LIBRARY };
  const schemas = new Map<number, Schema>();
  const channels = new Map<number, Channel>();
  const metadata: Metadata[] = [];
  const messages: Message[] = [];
  const scan = await scanMcapFile(file, (record) => {
    if (record.type === 'Header') header.profile = record.profile;
    else if (record.type === 'Schema') schemas.set(record.id, record);
    else if (record.type === 'Channel') channels.set(record.id, record);
    else if (record.type === 'Metadata') metadata.push(record);
    else if (record.type === 'Message') messages.push(record);
  });
  const transitionChannels = new Set(
    [...channels.values()].filter((c) => c.topic === TRANSITION_TOPIC).map((c) => c.id),
  );
  const records = messages.filter((m) => transitionChannels.has(m.channelId)).length;
  const report: RecoveryReport = { file, records, stoppedAt: scan.stoppedAt, size: scan.size };
  if (scan.error !== undefined) report.reason = scan.error;
  if (scan.size === 0) {
    await unlink(file);
    return report;
  }
  if (!metadata.some((m) => m.name === TASK_METADATA_NAME) && fallbackTask !== undefined)
    metadata.push({ name: TASK_METADATA_NAME, metadata: taskMetadata(fallbackTask) });

  const temp = recoveryTempPath(file);
  await unlink(temp).catch(ignoreMissing);
  const sink = await FileSink.create(temp, dirname(file));
  try {
    const writer = new McapWriter({ writable: sink });
    await writer.start(header);
    for (const record of metadata) await writer.addMetadata(record);
    const schemaIds = new Map<number, number>();
    for (const schema of schemas.values())
      schemaIds.set(
        schema.id,
        await writer.registerSchema({ name: schema.name, encoding: schema.encoding, data: schema.data }),
      );
    const channelIds = new Map<number, number>();
    for (const channel of channels.values())
      channelIds.set(
        channel.id,
        await writer.registerChannel({
          schemaId: schemaIds.get(channel.schemaId) ?? 0,
          topic: channel.topic,
          messageEncoding: channel.messageEncoding,
          metadata: channel.metadata,
        }),
      );
    for (const message of messages) {
      const channelId = channelIds.get(message.channelId);
      if (channelId === undefined) continue; // McapStreamReader rejects messages before their channel
      await writer.addMessage({ ...message, channelId });
      if (sink.pendingBytes > SYNC_EVERY_BYTES) await sink.sync();
    }
    await writer.end();
    await sink.sync();
  } catch (error) {
    await sink.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await sink.close();
  await rename(temp, file);
  await syncDirectory(dirname(file));
  return report;
}

/** Removes temporaries of a recovery that was interrupted before its rename (the original is intact). */
export async function removeStaleRecoveryFile(temp: string): Promise<boolean> {
  const original = temp.slice(0, -RECOVERED_SUFFIX.length) + '.mcap';
  try {
    await stat(original);
  } catch {
    return false; // the original is gone: the temporary is the only copy, keep it
  }
  await unlink(temp);
  return true;
}

function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}
