/**
 * One control tick as the data logger records it: (s_t, a_t, s_{t+1}) with the reward, whether
 * the episode ended, who chose the action and which model version (if any) planned it.
 */

/** Who chose the action; `reset` drove the robot back to a start state between trials. */
export const TRANSITION_SOURCES = ['random', 'mpc', 'teleop', 'lqr', 'reset', 'safe'] as const;
export type TransitionSource = (typeof TRANSITION_SOURCES)[number];

export interface TransitionRecord {
  /** Seconds on the node clock of s_t (the tick's time). */
  stamp: number;
  /** Integer >= 0. */
  episode: number;
  /** Tick index within the episode. */
  step: number;
  /** s_t */
  state: ArrayLike<number>;
  /** a_t as sent */
  action: ArrayLike<number>;
  /** s_{t+1} */
  nextState: ArrayLike<number>;
  reward: number;
  done: boolean;
  source: TransitionSource;
  /** 0 = no model. */
  modelVersion: number;
}

/** A record as read back from a log: the vectors are Float64Array (exactly the values appended). */
export interface LoggedTransition extends TransitionRecord {
  state: Float64Array;
  action: Float64Array;
  nextState: Float64Array;
}

/** The task a log belongs to; stored in every file as an MCAP metadata record. */
export interface TransitionLogTask {
  name: string;
  stateNames: readonly string[];
  actionNames: readonly string[];
}
