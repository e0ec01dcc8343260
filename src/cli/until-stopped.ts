/**
 * Resolves at the first of: `seconds` passing (if given), SIGINT, SIGTERM or SIGHUP (a dropped
 * ssh session must shut the robot down cleanly too), or `also` resolving (e.g. the operator
 * pressed q). Cleans up its timer and handlers either way.
 */
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export function untilStopped(seconds?: number, also?: Promise<unknown>): Promise<void> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      for (const signal of SIGNALS) process.off(signal, finish);
      resolve();
    };
    if (seconds !== undefined) timer = setTimeout(finish, seconds * 1000);
    for (const signal of SIGNALS) process.on(signal, finish);
    also?.then(finish, finish);
  });
}
