// The transport conformance suite (../transport-conformance.ts) on ROS 2: runs only with ROS 2
// sourced (ROS_DISTRO set) and rclnodejs loadable, as ros2-integration.test.ts. Not run in this
// repository's CI so far (no ROS 2 there).
import { transportConformanceSuite } from '../transport-conformance.js';
import { loadRclnodejs } from './load-rclnodejs.js';
import { Ros2Transport } from './ros2-transport.js';

async function skipReason(): Promise<string | undefined> {
  if (process.env.ROS_DISTRO === undefined || process.env.ROS_DISTRO === '') {
    return 'ROS 2 not available (ROS_DISTRO unset)';
  }
  try {
    await loadRclnodejs();
    return undefined;
  } catch (err) {
    return `ROS 2 not available (rclnodejs did not load: ${(err as Error).message.split('\n')[0]})`;
  }
}

const reason = await skipReason();
if (reason !== undefined) console.log(`skipped: ${reason}`); // node --test prints it as '# skipped: ...'

// Discovery over DDS can take a few seconds on a loaded machine.
transportConformanceSuite('ROS 2', () => Ros2Transport.create(), { skip: reason, timeoutMs: 10_000 });
