// Public surface of the transition log: records, the MCAP writer and reader, recovery and summaries.
export type {
  LoggedTransition,
  TransitionLogTask,
  TransitionRecord,
  TransitionSource,
} from './transition-record.js';
export { TRANSITION_SOURCES } from './transition-record.js';
export type { TransitionLogStats, TransitionLogWriterOptions } from './transition-log-writer.js';
export { TransitionLogWriter } from './transition-log-writer.js';
export type { TransitionLog, TransitionLogFileInfo } from './transition-log-reader.js';
export {
  DEFAULT_TRAINING_SOURCES,
  loadTransitionDataset,
  readTransitionLog,
} from './transition-log-reader.js';
export { recordsToBatch } from './records-to-batch.js';
export type { RecoveryReport } from './transition-log-recovery.js';
export { recoverTransitionLogFile } from './transition-log-recovery.js';
export type { TransitionLogSummary } from './transition-log-summary.js';
export { summarizeTransitionLog } from './transition-log-summary.js';
export { TransitionLogError } from './transition-log-error.js';
export { TASK_METADATA_NAME, TRANSITION_SCHEMA_NAME, TRANSITION_TOPIC } from './transition-wire.js';
