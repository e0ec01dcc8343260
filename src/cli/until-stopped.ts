/** Resolves after `seconds` (if given) or at the first SIGINT/SIGTERM, whichever comes first. */
export function untilStopped(seconds?: number): Promise<void> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const done = () => {
      clearTimeout(timer);
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    if (seconds !== undefined) timer = setTimeout(done, seconds * 1000);
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}
