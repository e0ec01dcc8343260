/**
 * Why ROS 2 tests must be skipped on this machine (ROS 2 not sourced, or rclnodejs not
 * loadable), or undefined when they can run. Tests print the reason so a skip is never silent.
 */
import { loadRclnodejs } from './load-rclnodejs.js';

export async function ros2TestSkipReason(
  options: { interfaces?: string[] } = {},
): Promise<string | undefined> {
  if (process.env.ROS_DISTRO === undefined || process.env.ROS_DISTRO === '') {
    return 'ROS 2 not available (ROS_DISTRO unset)';
  }
  let rcl;
  try {
    rcl = await loadRclnodejs();
  } catch (err) {
    return `ROS 2 not available (rclnodejs did not load: ${(err as Error).message.split('\n')[0]})`;
  }
  // Interfaces of this repository (ros/mbrl_msgs) exist only once built and sourced.
  for (const type of options.interfaces ?? []) {
    try {
      rcl.require(type);
    } catch {
      return `${type} not available (build and source ros/mbrl_msgs: docs/ROS2.md, Interfaces)`;
    }
  }
  return undefined;
}
