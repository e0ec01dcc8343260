/** Our QoS profiles as the rmw policy numbers rclnodejs's QoS constructor takes. */
import type { QoSProfile } from '../qos.js';
import { RMW_QOS } from './rclnodejs-api.js';

export interface RclQoSSettings {
  history: number;
  depth: number;
  reliability: number;
  durability: number;
}

/** Pure: the arguments for `new rclnodejs.QoS(history, depth, reliability, durability)`. */
export function toRclQoSSettings(profile: QoSProfile): RclQoSSettings {
  if (!Number.isInteger(profile.depth) || profile.depth < 0) {
    throw new RangeError(`QoS depth must be a non-negative integer, got ${profile.depth}`);
  }
  return {
    history: profile.history === 'keep_all' ? RMW_QOS.HISTORY_KEEP_ALL : RMW_QOS.HISTORY_KEEP_LAST,
    depth: profile.depth,
    reliability:
      profile.reliability === 'best_effort' ? RMW_QOS.RELIABILITY_BEST_EFFORT : RMW_QOS.RELIABILITY_RELIABLE,
    durability:
      profile.durability === 'transient_local'
        ? RMW_QOS.DURABILITY_TRANSIENT_LOCAL
        : RMW_QOS.DURABILITY_VOLATILE,
  };
}
