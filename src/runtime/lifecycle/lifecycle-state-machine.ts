/**
 * The ROS 2 managed-node state machine (design.ros2.org/articles/node_lifecycle.html), for the
 * in-process transport; on ROS 2 rcl_lifecycle runs the same machine and calls the same
 * handlers (ros2-transport.ts). Primary states and transitions:
 *
 *   unconfigured --configure--> inactive --activate--> active
 *   active --deactivate--> inactive --cleanup--> unconfigured
 *   unconfigured | inactive | active --shutdown--> finalized
 *
 * A handler that returns succeeds; one that throws LifecycleTransitionFailure leaves the node in
 * its start state; any other exception is an ERROR: onError runs and the node ends unconfigured
 * (onError returned) or finalized (it threw).
 */
import { errorText } from '../error-text.js';
import type {
  LifecycleHandlers,
  LifecycleResult,
  LifecycleState,
  LifecycleTransition,
  Logger,
} from '../node-api.js';
import { LifecycleTransitionFailure } from './lifecycle-transition-failure.js';

/** Start and goal state of each transition (shutdown starts from any primary state but finalized). */
const TRANSITIONS: Record<
  Exclude<LifecycleTransition, 'shutdown'>,
  { from: LifecycleState; to: LifecycleState }
> = {
  configure: { from: 'unconfigured', to: 'inactive' },
  activate: { from: 'inactive', to: 'active' },
  deactivate: { from: 'active', to: 'inactive' },
  cleanup: { from: 'inactive', to: 'unconfigured' },
};

export type HandlerOutcome = { kind: 'success' } | { kind: 'failure' | 'error'; error: unknown };

/** Runs one handler and classifies its outcome as rcl does (success, failure, error). */
export function runLifecycleHandler(run: (() => void) | undefined): HandlerOutcome {
  try {
    run?.();
    return { kind: 'success' };
  } catch (error) {
    return { kind: error instanceof LifecycleTransitionFailure ? 'failure' : 'error', error };
  }
}

/** The handler a transition runs. */
export function lifecycleHandlerFor(
  handlers: LifecycleHandlers,
  transition: LifecycleTransition,
  from: LifecycleState,
): (() => void) | undefined {
  switch (transition) {
    case 'configure':
      return handlers.onConfigure && (() => handlers.onConfigure?.());
    case 'activate':
      return handlers.onActivate && (() => handlers.onActivate?.());
    case 'deactivate':
      return handlers.onDeactivate && (() => handlers.onDeactivate?.());
    case 'cleanup':
      return handlers.onCleanup && (() => handlers.onCleanup?.());
    case 'shutdown':
      return (
        handlers.onShutdown && (() => handlers.onShutdown?.(from === 'finalized' ? 'unconfigured' : from))
      );
  }
}

export class LifecycleStateMachine {
  private current: LifecycleState = 'unconfigured';
  private busy: LifecycleTransition | null = null;

  /** `nodeName` names the node in every result's reason and in the log. */
  constructor(
    private readonly nodeName: string,
    private readonly handlers: LifecycleHandlers,
    private readonly logger?: Logger,
  ) {}

  get state(): LifecycleState {
    return this.current;
  }

  /** Transitions that are valid from the current state. */
  available(): LifecycleTransition[] {
    if (this.current === 'finalized') return [];
    const valid = (Object.keys(TRANSITIONS) as (keyof typeof TRANSITIONS)[]).filter(
      (t) => TRANSITIONS[t].from === this.current,
    );
    return [...valid, 'shutdown'];
  }

  trigger(transition: LifecycleTransition): LifecycleResult {
    const label = `lifecycle transition '${transition}' of node '${this.nodeName}'`;
    if (this.busy !== null)
      return this.result(
        false,
        `${label} refused: '${this.busy}' is still in progress (called from its handler)`,
      );
    if (!this.available().includes(transition))
      return this.result(
        false,
        `${label} is not valid from state '${this.current}' (valid: ${this.available().join(', ') || 'none'})`,
      );
    const from = this.current;
    const to = transition === 'shutdown' ? 'finalized' : TRANSITIONS[transition].to;
    this.busy = transition;
    try {
      const outcome = runLifecycleHandler(lifecycleHandlerFor(this.handlers, transition, from));
      if (outcome.kind === 'success') {
        this.current = to;
        this.logger?.info(`lifecycle: ${from} -> ${to} (${transition})`);
        return this.result(true, '');
      }
      const why = errorText(outcome.error);
      if (outcome.kind === 'failure') {
        this.logger?.warn(`${label} failed, staying ${from}: ${why}`);
        return this.result(false, `${label} failed: ${why}`);
      }
      // ERROR: error processing decides between recovering (unconfigured) and giving up.
      const recovery = runLifecycleHandler(
        this.handlers.onError && (() => this.handlers.onError?.(outcome.error)),
      );
      this.current = recovery.kind === 'success' ? 'unconfigured' : 'finalized';
      this.logger?.error(`${label} raised an error (${why}); error processing -> ${this.current}`);
      return this.result(false, `${label} raised an error: ${why} (now ${this.current})`);
    } finally {
      this.busy = null;
    }
  }

  private result(successful: boolean, reason: string): LifecycleResult {
    return { successful, state: this.current, reason };
  }
}
