/**
 * Compile-time conformance of the real rclnodejs declarations to the hand-written structural
 * API in rclnodejs-api.ts. Excluded from the main build (it needs the 'rclnodejs' package);
 * checked by `npx tsc -p tsconfig.ros2.json --noEmit`. Nothing here runs.
 *
 * Note: rclnodejs's types reference a generated interfaces.d.ts (message types) that exists only
 * after rclnodejs's install script ran against a sourced ROS 2. Without it (skipLibCheck), message
 * type parameters degrade to error types, so the publisher/subscription message typing is NOT
 * checked here; every other shape is.
 */
import * as rclnodejs from 'rclnodejs';
import type {
  RCL_CLOCK_TYPE,
  RCL_LIFECYCLE_RETURN,
  RclLifecycleNode,
  RCL_PARAMETER_TYPE,
  RclNode,
  RclnodejsModule,
  RMW_QOS,
} from './rclnodejs-api.js';

// The module (as `import * as` sees it; the loader takes the default export, the same object).
export const moduleConforms: RclnodejsModule = rclnodejs;

// A real Node is what the adapter expects a Node to be.
export const nodeConforms = (node: rclnodejs.Node): RclNode => node;

// A real LifecycleNode is what the adapter expects a managed node to be.
export const lifecycleNodeConforms = (node: rclnodejs.lifecycle.LifecycleNode): RclLifecycleNode => node;

type Equal<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;

// The numeric constants the adapter hard-codes equal rclnodejs's enum members.
export type Checks = [
  Assert<
    Equal<
      `${rclnodejs.QoS.HistoryPolicy.RMW_QOS_POLICY_HISTORY_KEEP_LAST}`,
      `${typeof RMW_QOS.HISTORY_KEEP_LAST}`
    >
  >,
  Assert<
    Equal<
      `${rclnodejs.QoS.HistoryPolicy.RMW_QOS_POLICY_HISTORY_KEEP_ALL}`,
      `${typeof RMW_QOS.HISTORY_KEEP_ALL}`
    >
  >,
  Assert<
    Equal<
      `${rclnodejs.QoS.ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_RELIABLE}`,
      `${typeof RMW_QOS.RELIABILITY_RELIABLE}`
    >
  >,
  Assert<
    Equal<
      `${rclnodejs.QoS.ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_BEST_EFFORT}`,
      `${typeof RMW_QOS.RELIABILITY_BEST_EFFORT}`
    >
  >,
  Assert<
    Equal<
      `${rclnodejs.QoS.DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL}`,
      `${typeof RMW_QOS.DURABILITY_TRANSIENT_LOCAL}`
    >
  >,
  Assert<
    Equal<
      `${rclnodejs.QoS.DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_VOLATILE}`,
      `${typeof RMW_QOS.DURABILITY_VOLATILE}`
    >
  >,
  Assert<Equal<`${rclnodejs.ParameterType.PARAMETER_NOT_SET}`, `${typeof RCL_PARAMETER_TYPE.NOT_SET}`>>,
  Assert<Equal<`${rclnodejs.ParameterType.PARAMETER_BOOL}`, `${typeof RCL_PARAMETER_TYPE.BOOL}`>>,
  Assert<Equal<`${rclnodejs.ParameterType.PARAMETER_INTEGER}`, `${typeof RCL_PARAMETER_TYPE.INTEGER}`>>,
  Assert<Equal<`${rclnodejs.ParameterType.PARAMETER_DOUBLE}`, `${typeof RCL_PARAMETER_TYPE.DOUBLE}`>>,
  Assert<Equal<`${rclnodejs.ParameterType.PARAMETER_STRING}`, `${typeof RCL_PARAMETER_TYPE.STRING}`>>,
  Assert<Equal<`${rclnodejs.ParameterType.PARAMETER_BOOL_ARRAY}`, `${typeof RCL_PARAMETER_TYPE.BOOL_ARRAY}`>>,
  Assert<
    Equal<`${rclnodejs.ParameterType.PARAMETER_INTEGER_ARRAY}`, `${typeof RCL_PARAMETER_TYPE.INTEGER_ARRAY}`>
  >,
  Assert<
    Equal<`${rclnodejs.ParameterType.PARAMETER_DOUBLE_ARRAY}`, `${typeof RCL_PARAMETER_TYPE.DOUBLE_ARRAY}`>
  >,
  Assert<
    Equal<`${rclnodejs.ParameterType.PARAMETER_STRING_ARRAY}`, `${typeof RCL_PARAMETER_TYPE.STRING_ARRAY}`>
  >,
  Assert<
    Equal<`${rclnodejs.lifecycle.CallbackReturnCode.SUCCESS}`, `${typeof RCL_LIFECYCLE_RETURN.SUCCESS}`>
  >,
  Assert<
    Equal<`${rclnodejs.lifecycle.CallbackReturnCode.FAILURE}`, `${typeof RCL_LIFECYCLE_RETURN.FAILURE}`>
  >,
  Assert<Equal<`${rclnodejs.lifecycle.CallbackReturnCode.ERROR}`, `${typeof RCL_LIFECYCLE_RETURN.ERROR}`>>,
  Assert<Equal<`${rclnodejs.ClockType.ROS_TIME}`, `${typeof RCL_CLOCK_TYPE.ROS_TIME}`>>,
  Assert<Equal<`${rclnodejs.ClockType.SYSTEM_TIME}`, `${typeof RCL_CLOCK_TYPE.SYSTEM_TIME}`>>,
];
