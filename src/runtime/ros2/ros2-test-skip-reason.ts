/**
 * Why ROS 2 tests must be skipped on this machine (ROS 2 not sourced, or rclnodejs not
 * loadable), or undefined when they can run. Tests print the reason so a skip is never silent.
 */
import { loadRclnodejs } from './load-rclnodejs.js';

export async function ros2TestSkipReason(): Promise<string | undefined> {
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
