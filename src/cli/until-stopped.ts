/**
 * Resolves at the first of: `seconds` passing (if given), SIGINT, SIGTERM or SIGHUP (a dropped
 * ssh session must shut the robot down cleanly too), or `also` resolving (e.g. the operator
 * pressed q). The signal handlers stay installed afterwards: a second signal during the
 * shutdown that follows is reported instead of killing the process half-way; a third forces
 * exit (130).
 */
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export function untilStopped(seconds?: number, also?: Promise<unknown>): Promise<void> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    let extra = 0;
    const finish = () => {
      if (done) {
        // A second Ctrl-C during shutdown must not kill the process before the drivers have
        // sent their safe commands and the log is closed; a third one insists.
        if (++extra >= 2) process.exit(130);
        process.stderr.write('shutting down: sending safe commands and closing the log (again to force)\n');
        return;
      }
      done = true;
      clearTimeout(timer);
      resolve();
    };
    if (seconds !== undefined) timer = setTimeout(finish, seconds * 1000);
    for (const signal of SIGNALS) process.on(signal, finish);
    also?.then(finish, finish);
  });
}
