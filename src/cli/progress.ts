/**
 * Progress for long work: a live bar on a terminal, and a plain line every 10% when output
 * goes to a file or CI log (a redrawn bar would fill the log with control characters).
 */
import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, fields?: Record<string, string | number>): void;
  stop(): void;
}

export function createProgress(
  label: string,
  total: number,
  stream: NodeJS.WriteStream = process.stderr,
): Progress {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: `${label} [{bar}] {value}/{total} | {status}`,
        hideCursor: true,
        clearOnComplete: false,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { status: '' });
    return {
      update: (done, fields) => bar.update(done, { status: formatFields(fields) }),
      stop: () => bar.stop(),
    };
  }
  let lastDecile = -1;
  return {
    update: (done, fields) => {
      const decile = Math.floor((10 * done) / Math.max(1, total));
      if (decile === lastDecile && done !== total) return;
      lastDecile = decile;
      stream.write(`${label} ${done}/${total} ${formatFields(fields)}\n`);
    },
    stop: () => undefined,
  };
}

function formatFields(fields: Record<string, string | number> | undefined): string {
  if (!fields) return '';
  return Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? Number(v.toFixed(3)) : v}`)
    .join(' ');
}
