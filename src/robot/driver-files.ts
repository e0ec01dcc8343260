/**
 * The files behind one hardware driver of a robot config: its device file, its calibration,
 * and the mapping between them checked against the task. Everything that starts or checks
 * drivers (mbrl run, teleop, calibrate zero, config validate) loads them the same way, so a
 * bad file is reported the same way everywhere, before anything starts.
 */
import { ConfigError } from '../config/config-error.js';
import { loadDeviceConfig } from '../config/device-loader.js';
import type { DeviceConfig } from '../config/device-schema.js';
import type { DriverConfig } from '../config/robot-schema.js';
import type { Task } from '../config/task-schema.js';
import { Calibration } from '../hardware/calibration/calibration.js';
import { DeviceMapping } from '../hardware/device-mapping.js';
import { WireProtocol } from '../hardware/protocol/wire-protocol.js';

export type HardwareDriverConfig = Extract<DriverConfig, { type: 'serial' | 'mqtt' }>;

export interface DriverFiles {
  device: DeviceConfig;
  calibration: Calibration;
  mapping: DeviceMapping;
}

/** Loads and cross-checks a driver's files (paths as loadRobotConfig resolved them). */
export function loadDriverFiles(driver: HardwareDriverConfig, index: number, task: Task): DriverFiles {
  const device = loadDeviceConfig(driver.device);
  if (device.transport !== driver.type)
    throw new ConfigError(driver.device, [
      {
        path: ['transport'],
        message: `drivers[${index}] is a ${driver.type} driver but this device is ${device.transport}`,
      },
    ]);
  checkWireProtocol(device, driver.device);
  if (!driver.calibration) throw new RangeError(`drivers[${index}]: no calibration file`);
  const calibration = Calibration.load(driver.calibration);
  const mapping = DeviceMapping.create({ device, calibration, deviceFile: driver.device, task });
  return { device, calibration, mapping };
}

export function isHardwareDriver(driver: DriverConfig): driver is HardwareDriverConfig {
  return driver.type === 'serial' || driver.type === 'mqtt';
}

/**
 * Serial devices: builds the wire protocol once, so layout problems only the codec can see
 * (a frame larger than max_frame_bytes, or than a 1-byte length) are reported against the
 * device file like every other device error.
 */
export function checkWireProtocol(device: DeviceConfig, file: string): void {
  if (device.transport !== 'serial') return;
  try {
    WireProtocol.forDevice(device);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new ConfigError(file, [{ path: ['framing'], message: error.message }]);
  }
}
