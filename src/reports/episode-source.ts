/**
 * What chose each episode's actions, for colouring and the table: the episode's `source` field when
 * the run writes one, else its controller, except that episodes of a controller that plans in other
 * episodes but did not plan in this one (planning_ms_p50 null) are exploration.
 */
import type { EpisodeRecord } from './run-data.js';

export function episodeSources(episodes: readonly EpisodeRecord[]): string[] {
  const planners = new Set(episodes.filter((e) => e.planning_ms_p50 !== null).map((e) => e.controller));
  return episodes.map((e) => {
    if (e.source !== undefined) return e.source;
    if (e.planning_ms_p50 === null && planners.has(e.controller)) return 'exploration (no plan)';
    return e.controller;
  });
}
