/**
 * The virtual board of the shipped cart-pole serial robot (hardware/devices/cartpole-serial.yaml
 * calibrated by calibration/cartpole.yaml) on a port: what tests, benchmarks and the soak run a
 * serial driver against.
 */
import { join } from 'node:path';
import { loadDeviceConfig } from '../../config/device-loader.js';
import type { SerialDevice } from '../../config/device-schema.js';
import { packageRoot } from '../../config/package-paths.js';
import { loadTask } from '../../config/task-loader.js';
import { Calibration } from '../../hardware/calibration/calibration.js';
import { DeviceMapping } from '../../hardware/device-mapping.js';
import { VirtualSerialDevice, type VirtualSerialDeviceOptions } from '../virtual-serial-device.js';

export const SHIPPED_CARTPOLE_DEVICE = join(packageRoot(), 'hardware/devices/cartpole-serial.yaml');
export const SHIPPED_CARTPOLE_CALIBRATION = join(packageRoot(), 'calibration/cartpole.yaml');

export function shippedCartpoleSerialBoard(
  options: { port: string; seed: number } & Partial<Omit<VirtualSerialDeviceOptions, 'device' | 'mapping'>>,
): Promise<VirtualSerialDevice> {
  const device = loadDeviceConfig(SHIPPED_CARTPOLE_DEVICE) as SerialDevice;
  const task = options.task ?? loadTask('cartpole-swingup');
  return VirtualSerialDevice.create({
    ...options,
    device,
    task,
    mapping: DeviceMapping.create({
      device,
      calibration: Calibration.load(SHIPPED_CARTPOLE_CALIBRATION),
      deviceFile: SHIPPED_CARTPOLE_DEVICE,
      task: task.task,
    }),
  });
}
