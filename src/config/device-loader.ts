/**
 * Loads a device file and checks what the schema alone cannot: every field a joint, IMU or
 * action names exists in the frames (or MQTT topics) that carry it, field names are unique
 * per direction, and line frames tag their layouts.
 */
import type { DeviceConfig } from './device-schema.js';
import { DeviceSchema } from './device-schema.js';
import type { IssueAt } from './yaml-source.js';
import { YamlSource } from './yaml-source.js';

/** Reads and validates a device file; problems are ConfigErrors naming file, line and field. */
export function loadDeviceConfig(file: string): DeviceConfig {
  const source = YamlSource.read(file);
  const device = source.validate(DeviceSchema);
  const issues = deviceIssues(device);
  if (issues.length > 0) throw source.error(issues);
  return device;
}

/** Cross-reference problems of an already schema-valid device. */
export function deviceIssues(device: DeviceConfig): IssueAt[] {
  const issues: IssueAt[] = [];
  const sensorFields = new Set<string>();
  const commandFields = new Set<string>();
  const addUnique = (set: Set<string>, name: string, path: (string | number)[]) => {
    if (set.has(name)) issues.push({ path, message: `duplicate field "${name}"` });
    set.add(name);
  };
  if (device.transport === 'serial') {
    device.sensor_frame.fields.forEach((f, i) =>
      addUnique(sensorFields, f.name, ['sensor_frame', 'fields', i, 'name']),
    );
    device.command_frame.fields.forEach((f, i) =>
      addUnique(commandFields, f.name, ['command_frame', 'fields', i, 'name']),
    );
    if (device.framing.type === 'line') {
      for (const layout of ['sensor_frame', 'command_frame'] as const)
        if (device[layout].tag === undefined)
          issues.push({
            path: [layout],
            message: 'line framing needs a tag (e.g. tag: S) to tell frames apart',
          });
    }
  } else {
    device.sensor_topics.forEach((t, ti) =>
      t.fields.forEach((f, i) => addUnique(sensorFields, f.name, ['sensor_topics', ti, 'fields', i, 'name'])),
    );
    device.command_topic.fields.forEach((f, i) =>
      addUnique(commandFields, f.name, ['command_topic', 'fields', i, 'name']),
    );
  }
  const sensorWhere = device.transport === 'serial' ? 'sensor_frame' : 'sensor_topics';
  const needSensor = (name: string | undefined, path: (string | number)[]) => {
    if (name !== undefined && !sensorFields.has(name))
      issues.push({
        path,
        message: `unknown sensor field "${name}" (${sensorWhere} has: ${[...sensorFields].join(', ')})`,
      });
  };
  const joints = new Set<string>();
  device.joints.forEach((j, i) => {
    if (joints.has(j.joint))
      issues.push({ path: ['joints', i, 'joint'], message: `joint "${j.joint}" mapped twice` });
    joints.add(j.joint);
    needSensor(j.position, ['joints', i, 'position']);
    needSensor(j.velocity, ['joints', i, 'velocity']);
    needSensor(j.effort, ['joints', i, 'effort']);
  });
  device.imus.forEach((imu, i) => {
    for (const part of ['orientation', 'angular_velocity', 'linear_acceleration'] as const)
      imu[part]?.forEach((name, k) => needSensor(name, ['imus', i, part, k]));
  });
  const commandWhere = device.transport === 'serial' ? 'command_frame' : 'command_topic';
  const actions = new Set<string>();
  device.commands.forEach((c, i) => {
    if (actions.has(c.action))
      issues.push({ path: ['commands', i, 'action'], message: `action "${c.action}" mapped twice` });
    actions.add(c.action);
    if (!commandFields.has(c.field))
      issues.push({
        path: ['commands', i, 'field'],
        message: `unknown command field "${c.field}" (${commandWhere} has: ${[...commandFields].join(', ')})`,
      });
  });
  for (const name of Object.keys(device.watchdog.safe_command))
    if (!actions.has(name))
      issues.push({
        path: ['watchdog', 'safe_command', name],
        atKey: true,
        message: `unknown action "${name}" (commands map: ${[...actions].join(', ')})`,
      });
  return issues;
}
