/**
 * Thrown by a lifecycle handler to refuse a transition (rcl's TRANSITION_CALLBACK_FAILURE): the
 * node stays in the state it was in. Any other exception is an ERROR and goes to error processing.
 */
export class LifecycleTransitionFailure extends Error {
  override readonly name = 'LifecycleTransitionFailure';
}
