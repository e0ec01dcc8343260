/** What `mbrl log info` reports about a transition log. */
import type { TransitionLog, TransitionLogFileInfo } from './transition-log-reader.js';
import { TRANSITION_SOURCES, type TransitionLogTask, type TransitionSource } from './transition-record.js';

export interface TransitionLogSummary {
  path: string;
  task: TransitionLogTask;
  transitions: number;
  /** Smallest and largest stamp (seconds on the node clock); null for an empty log. */
  timeRange: { min: number; max: number } | null;
  /** Distinct episode numbers, ascending. */
  episodes: number[];
  /** Transitions per action source (every source listed, zero when absent). */
  sources: Record<TransitionSource, number>;
  /** Distinct model versions, ascending (0 = no model). */
  modelVersions: number[];
  files: TransitionLogFileInfo[];
}

export function summarizeTransitionLog(log: TransitionLog): TransitionLogSummary {
  const sources = Object.fromEntries(TRANSITION_SOURCES.map((s) => [s, 0])) as Record<
    TransitionSource,
    number
  >;
  const episodes = new Set<number>();
  const versions = new Set<number>();
  let min = Infinity;
  let max = -Infinity;
  for (const r of log.records) {
    sources[r.source]++;
    episodes.add(r.episode);
    versions.add(r.modelVersion);
    min = Math.min(min, r.stamp);
    max = Math.max(max, r.stamp);
  }
  const ascending = (set: Set<number>) => [...set].sort((a, b) => a - b);
  return {
    path: log.path,
    task: log.task,
    transitions: log.records.length,
    timeRange: log.records.length > 0 ? { min, max } : null,
    episodes: ascending(episodes),
    sources,
    modelVersions: ascending(versions),
    files: log.files,
  };
}
