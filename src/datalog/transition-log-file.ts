/**
 * One MCAP file of a transition log while it is written: header, task metadata, the
 * `/transitions` channel with its JSON schema, then one message per tick.
 *
 * Chunking: every message goes in its own chunk (`useChunks: true, chunkSize: 0`). McapWriter
 * only hands bytes to its output when a chunk is finished (an unchunked McapWriter keeps messages
 * in memory until `end()`, and unchunked messages are not indexed), and it has no call to close
 * a chunk early. With one message per chunk every appended record is complete on disk after the
 * next sync, so a file cut off anywhere still yields every flushed record to McapStreamReader, and
 * a finished file has a chunk index for McapIndexedReader. The cost is ~110 bytes of chunk,
 * message-index and chunk-index records per message (a 6-state tick is ~300 bytes of JSON).
 */
import { McapWriter } from '@mcap/core';
import { FileSink } from './file-sink.js';
import type { TransitionLogTask } from './transition-record.js';
import {
  LOG_LIBRARY,
  TASK_METADATA_NAME,
  TRANSITION_SCHEMA_NAME,
  TRANSITION_TOPIC,
  taskMetadata,
  transitionJsonSchema,
} from './transition-wire.js';

const encoder = new TextEncoder();

// Record sizes (opcode + length prefix + fields) used to predict a file's final size.
const RECORD_PREFIX = 9;
const CHUNK_PER_MESSAGE = RECORD_PREFIX + 40 + (RECORD_PREFIX + 22) + (RECORD_PREFIX + 22); // chunk, message, message index
const CHUNK_INDEX = RECORD_PREFIX + 74;
const SUMMARY_FIXED = 13 + 65 + 5 * 26 + 29 + 8 + 64; // data end, statistics, summary offsets, footer, magic, margin

export class TransitionLogFile {
  readonly path: string;
  #sink: FileSink;
  #writer: McapWriter;
  #channelId: number;
  #definitionBytes: number;
  #metadataIndexBytes: number;
  #messages = 0;
  #sequence = 0;
  #ended = false;
  #closed = false;

  private constructor(path: string, sink: FileSink, writer: McapWriter, ids: FileIds) {
    this.path = path;
    this.#sink = sink;
    this.#writer = writer;
    this.#channelId = ids.channelId;
    this.#definitionBytes = ids.definitionBytes;
    this.#metadataIndexBytes = ids.metadataIndexBytes;
  }

  /** Creates the file (it must not exist); nothing is on disk until the first `sync()`. */
  static async create(path: string, dir: string, task: TransitionLogTask): Promise<TransitionLogFile> {
    const sink = await FileSink.create(path, dir);
    const writer = new McapWriter({ writable: sink, useChunks: true, chunkSize: 0 });
    await writer.start({ profile: '', library: LOG_LIBRARY });
    await writer.addMetadata({ name: TASK_METADATA_NAME, metadata: taskMetadata(task) });
    const schema = encoder.encode(JSON.stringify(transitionJsonSchema(task)));
    const schemaId = await writer.registerSchema({
      name: TRANSITION_SCHEMA_NAME,
      encoding: 'jsonschema',
      data: schema,
    });
    const channelId = await writer.registerChannel({
      schemaId,
      topic: TRANSITION_TOPIC,
      messageEncoding: 'json',
      metadata: new Map(),
    });
    const schemaBytes =
      RECORD_PREFIX + 2 + 4 + TRANSITION_SCHEMA_NAME.length + 4 + 10 + 4 + schema.byteLength;
    const channelBytes = RECORD_PREFIX + 2 + 2 + 4 + TRANSITION_TOPIC.length + 4 + 4 + 4;
    return new TransitionLogFile(path, sink, writer, {
      channelId,
      definitionBytes: schemaBytes + channelBytes,
      metadataIndexBytes: RECORD_PREFIX + 20 + TASK_METADATA_NAME.length,
    });
  }

  get messages(): number {
    return this.#messages;
  }

  get durableBytes(): number {
    return this.#sink.durableBytes;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Whether adding a message of `dataBytes` would make the finished file (with its summary) exceed `limit`. */
  wouldExceed(dataBytes: number, limit: number): boolean {
    const firstMessage = this.#messages === 0 ? this.#definitionBytes : 0;
    const summary =
      SUMMARY_FIXED + this.#definitionBytes + this.#metadataIndexBytes + (this.#messages + 1) * CHUNK_INDEX;
    const projected = Number(this.#sink.position()) + firstMessage + CHUNK_PER_MESSAGE + dataBytes + summary;
    return projected > limit;
  }

  /** Adds a message in memory; it is on disk after the next successful `sync()`. */
  async add(data: Uint8Array, logTime: bigint, publishTime: bigint): Promise<void> {
    if (this.#ended) throw new Error(`${this.path}: add after finish`);
    await this.#writer.addMessage({
      channelId: this.#channelId,
      sequence: this.#sequence,
      logTime,
      publishTime,
      data,
    });
    this.#sequence = (this.#sequence + 1) >>> 0;
    this.#messages++;
  }

  /** Writes and fsyncs everything added so far; safe to repeat after an error. */
  sync(): Promise<void> {
    return this.#sink.sync();
  }

  /** Writes the summary and footer, syncs and closes; safe to repeat after an error. */
  async finish(): Promise<void> {
    if (this.#closed) return;
    if (!this.#ended) {
      this.#ended = true;
      await this.#writer.end();
    }
    await this.#sink.sync();
    this.#closed = true;
    await this.#sink.close();
  }

  /** Closes without finishing; what was synced stays on disk as an unfinished (recoverable) file. */
  async abandon(): Promise<void> {
    this.#closed = true;
    await this.#sink.close().catch(() => undefined);
  }
}

interface FileIds {
  channelId: number;
  definitionBytes: number;
  metadataIndexBytes: number;
}
