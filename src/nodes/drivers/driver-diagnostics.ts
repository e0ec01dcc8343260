/**
 * What a device driver counts, and its diagnostic_msgs/DiagnosticStatus: connection, good
 * and bad frames by kind, commands, watchdog activity, reconnects and the last error. Bad
 * input is counted and reported here; it never stops the driver.
 */
import { DiagnosticLevel, type DiagnosticStatusMsg } from '../../runtime/messages.js';

export interface DriverStats {
  connected: boolean;
  framesOk: number;
  badFrames: number;
  badFramesByKind: Record<string, number>;
  commandsSent: number;
  /** Commands from the command topic refused (wrong length, non-finite). */
  commandsRejected: number;
  /** Commands that could not be written because the link was down. */
  commandsDropped: number;
  safeCommandsSent: number;
  watchdogTrips: number;
  /** Successful (re)connections after the first. */
  reconnects: number;
  connectAttempts: number;
  lastError: string;
}

export function emptyDriverStats(): DriverStats {
  return {
    connected: false,
    framesOk: 0,
    badFrames: 0,
    badFramesByKind: {},
    commandsSent: 0,
    commandsRejected: 0,
    commandsDropped: 0,
    safeCommandsSent: 0,
    watchdogTrips: 0,
    reconnects: 0,
    connectAttempts: 0,
    lastError: '',
  };
}

export interface DriverStatusOptions {
  name: string;
  hardwareId: string;
  stats: DriverStats;
  /** Good frames per second over the last diagnostics period. */
  sensorRateHz: number;
  /** The rate the device file declares (JointStates per second); omitted: not checked. */
  declaredSensorRateHz?: number;
  /** Bad frames in the last diagnostics period. */
  recentBadFrames: number;
  watchdogActive: boolean;
}

/**
 * A measured sensor rate this many times the declared one is reported: a board flooding the
 * link (wrong firmware build, a loop without its delay) costs the driver and controller CPU
 * for nothing, and a device file with the wrong rate also has the wrong staleness limits.
 */
export const SENSOR_RATE_ANOMALY_FACTOR = 2;

export function driverStatus(o: DriverStatusOptions): DiagnosticStatusMsg {
  const s = o.stats;
  let level: DiagnosticStatusMsg['level'] = DiagnosticLevel.OK;
  let message = 'ok';
  const declared = o.declaredSensorRateHz;
  const rateFactor = declared !== undefined && declared > 0 ? o.sensorRateHz / declared : 0;
  if (!s.connected) {
    level = DiagnosticLevel.ERROR;
    message = s.lastError ? `disconnected: ${s.lastError}` : 'disconnected';
  } else if (o.sensorRateHz === 0) {
    level = DiagnosticLevel.STALE;
    message = 'no sensor frames';
  } else if (o.recentBadFrames > 0) {
    level = DiagnosticLevel.WARN;
    message = `${o.recentBadFrames} bad frames in the last period`;
  } else if (rateFactor > SENSOR_RATE_ANOMALY_FACTOR) {
    level = DiagnosticLevel.WARN;
    message = `sensor rate ${o.sensorRateHz.toFixed(1)} Hz is ${rateFactor.toFixed(1)}x above the declared ${declared} Hz (rates.sensor_hz)`;
  } else if (o.watchdogActive) {
    level = DiagnosticLevel.WARN;
    message = 'no fresh command: sending the safe command';
  }
  const values: [string, string][] = [
    ['connected', String(s.connected)],
    ['sensor_rate_hz', o.sensorRateHz.toFixed(1)],
    ...(declared !== undefined ? [['sensor_rate_declared_hz', String(declared)] as [string, string]] : []),
    ['frames_ok', String(s.framesOk)],
    ['bad_frames', String(s.badFrames)],
    ...Object.entries(s.badFramesByKind).map(([k, v]): [string, string] => [`bad_frames.${k}`, String(v)]),
    ['commands_sent', String(s.commandsSent)],
    ['commands_rejected', String(s.commandsRejected)],
    ['commands_dropped', String(s.commandsDropped)],
    ['safe_commands_sent', String(s.safeCommandsSent)],
    ['watchdog_trips', String(s.watchdogTrips)],
    ['watchdog_active', String(o.watchdogActive)],
    ['reconnects', String(s.reconnects)],
    ['last_error', s.lastError],
  ];
  return {
    level,
    name: o.name,
    message,
    hardware_id: o.hardwareId,
    values: values.map(([key, value]) => ({ key, value })),
  };
}
