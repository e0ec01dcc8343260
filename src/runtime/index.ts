/** The runtime layer's public surface: the node API, message types, and the in-process transport. */
export type * from './node-api.js';
export * from './messages.js';
export * from './qos.js';
export * from './time.js';
export {
  resolveTopicName,
  normalizeNamespace,
  fullyQualifiedNodeName,
  validateNodeName,
} from './topic-names.js';
export {
  ConsoleLogger,
  LOG_LEVELS,
  formatLogLine,
  getLogLevel,
  parseLogLevel,
  setLogLevel,
  setLogSink,
  stderrSink,
  type ConsoleLoggerOptions,
  type LogRecord,
  type LogSink,
} from './logger.js';
export { SimClock, SystemClock, wallSeconds } from './clocks.js';
export { ParameterStore } from './parameters.js';
export { WallTimer, validateTimerPeriod, type TimerHooks } from './wall-timer.js';
export { SimTimeline } from './sim-timeline.js';
export {
  MessageRouter,
  type EndpointOwner,
  type EndpointOptions,
  type TopicStats,
} from './message-router.js';
export { BusNode, nodeLoggerName, type BusNodeContext } from './bus-node.js';
export { InProcessBus, type BusStats, type InProcessBusOptions } from './in-process-bus.js';
export { errorText } from './error-text.js';
export { MemoryLogger, type MemoryLogEntry } from './memory-logger.js';
