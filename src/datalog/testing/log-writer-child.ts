/**
 * Child process for the SIGKILL test: appends record i (episode 0, step i) every `periodMs` and
 * prints `i` on its own line right after `append()` returns, until it is killed.
 * Usage: node log-writer-child.js DIR PERIOD_MS FLUSH_INTERVAL_S
 */
import { TransitionLogWriter } from '../transition-log-writer.js';
import { TEST_TASK, testRecord } from './transition-fixtures.js';

const [dir, periodMs, flushIntervalS] = process.argv.slice(2);
const writer = await TransitionLogWriter.open({
  dir,
  task: TEST_TASK,
  flushIntervalS: Number(flushIntervalS),
  rotateBytes: 64 << 20,
});
let i = 0;
setInterval(() => {
  writer.append({ ...testRecord(i), episode: 0, step: i });
  process.stdout.write(`${i}\n`);
  i++;
}, Number(periodMs));
