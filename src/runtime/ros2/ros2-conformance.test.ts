// The transport conformance suite (../transport-conformance.ts) on ROS 2: runs only with ROS 2
// sourced (ROS_DISTRO set) and rclnodejs loadable, as ros2-integration.test.ts. Not run in this
// repository's CI so far (no ROS 2 there).
import { transportConformanceSuite } from '../transport-conformance.js';
import { ros2TestSkipReason } from './ros2-test-skip-reason.js';
import { Ros2Transport } from './ros2-transport.js';

const reason = await ros2TestSkipReason();
if (reason !== undefined) console.log(`skipped: ${reason}`); // node --test prints it as '# skipped: ...'

// Discovery over DDS can take a few seconds on a loaded machine.
transportConformanceSuite('ROS 2', () => Ros2Transport.create(), { skip: reason, timeoutMs: 10_000 });
