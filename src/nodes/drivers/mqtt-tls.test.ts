/**
 * The MQTT driver's TLS and credential paths against a real mosquitto: a throwaway CA and a
 * server certificate for localhost/127.0.0.1 made with openssl, a password file made with
 * mosquitto_passwd, and a TLS-only listener that refuses anonymous clients. A raw mqtt.js
 * client (also TLS, authenticated) plays the board. Skipped when mosquitto, mosquitto_passwd or
 * openssl is missing, unless MBRL_REQUIRE_HARDWARE_TESTS=1 (CI), where that is an error.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  accessSync,
  chmodSync,
  constants,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path, { join } from 'node:path';
import tls from 'node:tls';
import { after, before, test, type TestContext } from 'node:test';
import { connect } from 'mqtt';
import { loadDeviceConfig } from '../../config/device-loader.js';
import type { MqttDevice } from '../../config/device-schema.js';
import { packageRoot } from '../../config/package-paths.js';
import { loadTask } from '../../config/task-loader.js';
import { Calibration } from '../../hardware/calibration/calibration.js';
import { DeviceMapping } from '../../hardware/device-mapping.js';
import { findMosquitto, freePort } from '../../hardware/testing/mqtt-test-broker.js';
import { waitFor } from '../../hardware/testing/wait-for.js';
import { InProcessBus } from '../../runtime/in-process-bus.js';
import { MemoryLogger } from '../../runtime/memory-logger.js';
import { float64Array, type DiagnosticArrayMsg, type JointStateMsg } from '../../runtime/messages.js';
import { MqttDriverNode, mqttConnectionSettings } from './mqtt-driver-node.js';

const root = packageRoot();
const shippedDeviceFile = join(root, 'hardware/devices/cartpole-mqtt.yaml');
const task = loadTask('cartpole-swingup').task;
const calibration = Calibration.load(join(root, 'calibration/cartpole.yaml'));
const USER = 'robot';
const PASSWORD = 's3cret pass';
const WRONG_PASSWORD = 'wr0ng horse battery';
const TICK = 0.0001; // m per cart tick

const SBIN_DIRS = ['/usr/sbin', '/usr/local/sbin', '/opt/homebrew/sbin', '/opt/homebrew/bin'];

/** An executable on PATH or in the usual sbin directories, or null. */
function findExecutable(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...SBIN_DIRS];
  for (const dir of dirs) {
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // Not in this directory; keep looking.
    }
  }
  return null;
}

/**
 * Why these tests must be skipped here, or undefined when they can run. With
 * MBRL_REQUIRE_HARDWARE_TESTS=1 (set by .ci/run) a missing tool is an error instead.
 */
function tlsBrokerSkipReason(): string | undefined {
  const missing = ['mosquitto', 'mosquitto_passwd', 'openssl'].filter((name) =>
    name === 'mosquitto' ? findMosquitto() === null : findExecutable(name) === null,
  );
  if (missing.length === 0) return undefined;
  const reason = `${missing.join(', ')} not installed (apt-get install mosquitto openssl): MQTT TLS tests skipped`;
  if (process.env.MBRL_REQUIRE_HARDWARE_TESTS === '1')
    throw new Error(`MBRL_REQUIRE_HARDWARE_TESTS=1 but ${reason}`);
  return reason;
}

const skip = tlsBrokerSkipReason();
if (skip) console.log(skip);

function run(file: string, args: string[], cwd: string): void {
  const result = spawnSync(file, args, { cwd, encoding: 'utf8' });
  if (result.error) throw result.error;
  if (result.status !== 0)
    throw new Error(`${path.basename(file)} ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
}

/** A self-signed CA and a server certificate for localhost and 127.0.0.1 signed by it (P-256 keys: fast). */
function makeCertificates(dir: string): void {
  const openssl = findExecutable('openssl') ?? 'openssl';
  // Own minimal configs: the system openssl.cnf is not needed (nor trusted to have v3_ca).
  writeFileSync(
    join(dir, 'ca.cnf'),
    [
      '[req]',
      'distinguished_name = dn',
      'prompt = no',
      'x509_extensions = v3_ca',
      '[dn]',
      'CN = mbrl test CA',
      '[v3_ca]',
      'basicConstraints = critical, CA:TRUE',
      'keyUsage = critical, keyCertSign, cRLSign',
      'subjectKeyIdentifier = hash',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'server.cnf'),
    ['[req]', 'distinguished_name = dn', 'prompt = no', '[dn]', 'CN = localhost', ''].join('\n'),
  );
  writeFileSync(
    join(dir, 'server-ext.cnf'),
    [
      'basicConstraints = CA:FALSE',
      'keyUsage = critical, digitalSignature, keyEncipherment',
      'extendedKeyUsage = serverAuth',
      'subjectAltName = DNS:localhost, IP:127.0.0.1',
      'subjectKeyIdentifier = hash',
      'authorityKeyIdentifier = keyid',
      '',
    ].join('\n'),
  );
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run(
    openssl,
    ['req', '-x509', ...ec, '-config', 'ca.cnf', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2'],
    dir,
  );
  run(
    openssl,
    ['req', '-new', ...ec, '-config', 'server.cnf', '-keyout', 'server.key', '-out', 'server.csr'],
    dir,
  );
  run(
    openssl,
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-set_serial',
      '0x1001',
      '-days',
      '2',
      '-extfile',
      'server-ext.cnf',
      '-out',
      'server.crt',
    ],
    dir,
  );
}

/** Whether a TLS handshake with the broker, verified against `ca` for "localhost", completes. */
function acceptsTls(port: number, ca: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost' });
    socket.once('secureConnect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

let dir = '';
let port = 0;
let brokerUrl = '';
let ca: Buffer;
let mosquitto: ChildProcess | null = null;
let brokerLog = '';

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'mbrl-mqtt-tls-'));
  mkdirSync(join(dir, 'certs'));
  mkdirSync(join(dir, 'secrets'));
  makeCertificates(join(dir, 'certs'));
  ca = readFileSync(join(dir, 'certs/ca.crt'));
  const passwordFile = join(dir, 'mosquitto.passwd');
  run(
    findExecutable('mosquitto_passwd') ?? 'mosquitto_passwd',
    ['-b', '-c', passwordFile, USER, PASSWORD],
    dir,
  );
  chmodSync(passwordFile, 0o600);
  port = await freePort();
  brokerUrl = `mqtts://localhost:${port}`;
  const configFile = join(dir, 'mosquitto.conf');
  writeFileSync(
    configFile,
    [
      `listener ${port} 127.0.0.1`,
      `cafile ${join(dir, 'certs/ca.crt')}`,
      `certfile ${join(dir, 'certs/server.crt')}`,
      `keyfile ${join(dir, 'certs/server.key')}`,
      // Started as root, mosquitto drops to the "mosquitto" user, which cannot read the
      // private temp dir; as anyone else this line changes nothing.
      `user ${userInfo().username}`,
      'allow_anonymous false',
      `password_file ${passwordFile}`,
      'persistence false',
      'set_tcp_nodelay true',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      'log_type notice',
      '',
    ].join('\n'),
  );
  const executable = findMosquitto();
  assert.ok(executable);
  const child = spawn(executable, ['-c', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', (d: Buffer) => (brokerLog += d.toString()));
  mosquitto = child;
  const deadline = Date.now() + 10_000;
  while (!(await acceptsTls(port, ca))) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`mosquitto exited (${child.exitCode ?? child.signalCode}): ${brokerLog.trim()}`);
    if (Date.now() > deadline)
      throw new Error(`mosquitto did not accept TLS connections on ${port} within 10 s: ${brokerLog.trim()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
});

after(async () => {
  const child = mosquitto;
  mosquitto = null;
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * The shipped cartpole-mqtt device file rewritten into the temp dir with TLS (CA relative to
 * the file) and credentials (username from MQTT_USER, password from a secret file with a
 * trailing newline), loaded through the schema as the stack would.
 */
function tlsDeviceFile(): string {
  writeFileSync(join(dir, 'secrets/mqtt-password'), `${PASSWORD}\n`, { mode: 0o600 });
  const text = readFileSync(shippedDeviceFile, 'utf8');
  const file = join(dir, 'cartpole-mqtt-tls.yaml');
  const withTls = text.replace(
    /^mqtt:\n/m,
    [
      'mqtt:',
      '  tls:',
      '    ca_file: certs/ca.crt',
      '  credentials:',
      '    username_env: MQTT_USER',
      '    password_file: secrets/mqtt-password',
      '',
    ].join('\n'),
  );
  assert.notEqual(withTls, text, 'the shipped device file has an mqtt: block');
  writeFileSync(file, withTls);
  return file;
}

function loadTlsDevice(): { device: MqttDevice; deviceFile: string } {
  const deviceFile = tlsDeviceFile();
  const device = loadDeviceConfig(deviceFile);
  assert.equal(device.transport, 'mqtt');
  return { device: device as MqttDevice, deviceFile };
}

let rigCount = 0;

/** The device with every topic under a per-test prefix (retained availability stays per test). */
function prefixed(device: MqttDevice): MqttDevice {
  const prefix = `tls${process.pid}-${rigCount++}`;
  const p = (topic: string) => `${prefix}/${topic}`;
  const { mqtt } = device;
  return {
    ...device,
    mqtt: {
      ...mqtt,
      client_id: `${prefix}-driver`,
      availability_topic: mqtt.availability_topic && p(mqtt.availability_topic),
      device_availability_topic: mqtt.device_availability_topic && p(mqtt.device_availability_topic),
    },
    sensor_topics: device.sensor_topics.map((t) => ({ ...t, topic: p(t.topic) })),
    command_topic: { ...device.command_topic, topic: p(device.command_topic.topic) },
  };
}

/** The driver on an in-process bus whose loggers all write into one MemoryLogger. */
function driverRig(t: TestContext, device: MqttDevice, deviceFile: string) {
  const mapping = DeviceMapping.create({ device, calibration, deviceFile, task });
  const logs = new MemoryLogger('test');
  const bus = new InProcessBus({ loggerFactory: logs.factory });
  const driver = new MqttDriverNode(bus.createNode('mqtt_driver'), {
    device,
    mapping,
    deviceFile,
    brokerUrl,
    env: { MQTT_USER: USER },
    diagnosticsPeriodSeconds: 0.1,
  });
  const observer = bus.createNode('observer');
  const states: JointStateMsg[] = [];
  observer.createSubscription('sensor_msgs/msg/JointState', 'joint_states', (m) => states.push(m));
  const diagnostics: DiagnosticArrayMsg[] = [];
  observer.createSubscription('diagnostic_msgs/msg/DiagnosticArray', '/diagnostics', (m) =>
    diagnostics.push(m),
  );
  const commandPub = observer.createPublisher('std_msgs/msg/Float64MultiArray', 'command');
  t.after(async () => {
    await driver.close();
    await bus.shutdown();
  });
  return { driver, logs, states, diagnostics, command: (a: number[]) => commandPub.publish(float64Array(a)) };
}

/** How many refused logins mosquitto logged after offset `from` of its log (it names no client id for them). */
const refusedLogins = (from: number) =>
  brokerLog
    .slice(from)
    .split('\n')
    .filter((line) => /disconnected, not authori[sz]ed/.test(line)).length;

const lastErrorInDiagnostics = (diagnostics: DiagnosticArrayMsg[]) =>
  diagnostics.at(-1)?.status[0].values.find((v) => v.key === 'last_error')?.value ?? '';

const goodState = (cartTicks: number) => ({
  cart: { ticks: cartTicks, speed: 0, current_ma: 0 },
  pole: { ticks: 0, speed: 0 },
});

test(
  'over TLS with the CA from the device file and credentials from env + secret file: sensors in, commands out',
  { skip },
  async (t) => {
    const { device: loaded, deviceFile } = loadTlsDevice();
    assert.deepEqual(loaded.mqtt.tls, { ca_file: 'certs/ca.crt', reject_unauthorized: true });
    const device = prefixed(loaded);
    const r = driverRig(t, device, deviceFile);

    const board = connect(brokerUrl, {
      clientId: `${device.mqtt.client_id}-board`,
      ca,
      rejectUnauthorized: true,
      username: USER,
      password: PASSWORD,
      reconnectPeriod: 0,
    });
    board.on('error', () => undefined);
    t.after(() => board.endAsync(true));
    const commands: { pwm: number }[] = [];
    board.on('message', (topic, payload) => {
      if (topic === device.command_topic.topic)
        commands.push(JSON.parse(payload.toString()) as { pwm: number });
    });
    await waitFor(() => board.connected, 'board client connected over TLS');
    await board.subscribeAsync(device.command_topic.topic, { qos: 1 });

    r.driver.start();
    await waitFor(() => r.driver.connected, 'driver connected over TLS');
    assert.equal(r.driver.url, brokerUrl);
    // Until the driver's subscription is in place a state may be lost: repeat until one arrives.
    await waitFor(() => {
      board.publish(device.sensor_topics[0].topic, JSON.stringify(goodState(1500)));
      return r.states.length > 0;
    }, 'a JointState from the TLS board');
    assert.ok(Math.abs(r.states[0].position[0] - 1500 * TICK) < 1e-12, `position ${r.states[0].position[0]}`);

    r.command([0.25]);
    await waitFor(() => commands.some((c) => c.pwm === 250), 'pwm 250 at the board');
    assert.equal(r.driver.stats.commandsSent, 1);
    const logged = r.logs.entries.map((e) => e.message).join('\n');
    assert.match(logged, new RegExp(`${brokerUrl}/?: connected as ${device.mqtt.client_id}`));
    assert.ok(!logged.includes(PASSWORD), 'the password is never logged');
  },
);

test(
  'a wrong password: never connected, lastError says so, and the password shows nowhere',
  { skip },
  async (t) => {
    const { device: loaded, deviceFile } = loadTlsDevice();
    writeFileSync(join(dir, 'secrets/wrong-password'), `${WRONG_PASSWORD}\n`, { mode: 0o600 });
    const device = prefixed({
      ...loaded,
      mqtt: {
        ...loaded.mqtt,
        credentials: { username_env: 'MQTT_USER', password_file: 'secrets/wrong-password' },
      },
    });
    const logStart = brokerLog.length;
    const r = driverRig(t, device, deviceFile);
    r.driver.start();
    await waitFor(
      () => /not authori[sz]ed|bad user ?name or password/i.test(r.driver.stats.lastError),
      `an authorization error in lastError (now ${JSON.stringify(r.driver.stats.lastError)})`,
    );
    // The driver keeps retrying (backoff), and the broker really sees (and refuses) each attempt.
    await waitFor(() => refusedLogins(logStart) >= 3, 'three refused logins at the broker');
    await waitFor(
      () => /Not authori[sz]ed|bad user ?name or password/i.test(lastErrorInDiagnostics(r.diagnostics)),
      'the authorization error in the diagnostics',
    );
    assert.equal(r.driver.connected, false);
    assert.equal(r.driver.stats.reconnects, 0);
    assert.ok(
      !r.logs.entries.some((e) => e.message.includes('connected as')),
      'never connected (no "connected as" line)',
    );
    t.diagnostic(`lastError: ${r.driver.stats.lastError}`);
    assert.ok(r.driver.stats.lastError.startsWith(`${brokerUrl}`), r.driver.stats.lastError);

    // No secret (the wrong one the driver sent, nor the real one) in logs, url or diagnostics.
    assert.ok(r.logs.entries.length > 0, 'something was logged');
    for (const entry of r.logs.entries) {
      assert.ok(!entry.message.includes(WRONG_PASSWORD), `secret in log line: ${entry.message}`);
      assert.ok(!entry.message.includes(PASSWORD), `secret in log line: ${entry.message}`);
    }
    assert.equal(r.driver.url, brokerUrl);
    for (const status of r.diagnostics.flatMap((d) => d.status)) {
      assert.equal(status.hardware_id, brokerUrl);
      const text = JSON.stringify(status);
      assert.ok(!text.includes(WRONG_PASSWORD) && !text.includes(PASSWORD), `secret in diagnostics: ${text}`);
    }
    assert.ok(!r.driver.stats.lastError.includes(WRONG_PASSWORD));
  },
);

test(
  'TLS without the CA: a certificate error with reject_unauthorized; reject_unauthorized false connects',
  { skip },
  async (t) => {
    const { device: loaded, deviceFile } = loadTlsDevice();
    const withTls = (tlsOptions: MqttDevice['mqtt']['tls']) =>
      prefixed({ ...loaded, mqtt: { ...loaded.mqtt, tls: tlsOptions } });

    // The server's certificate is signed by a CA the default trust store does not know.
    const strict = driverRig(t, withTls({ reject_unauthorized: true }), deviceFile);
    strict.driver.start();
    await waitFor(
      () => /certificate/i.test(strict.driver.stats.lastError),
      `a certificate error in lastError (now ${JSON.stringify(strict.driver.stats.lastError)})`,
    );
    t.diagnostic(`lastError: ${strict.driver.stats.lastError}`);
    await waitFor(() => strict.driver.stats.connectAttempts >= 2, 'a retry');
    assert.equal(strict.driver.connected, false);
    assert.ok(!strict.logs.entries.some((e) => e.message.includes('connected as')), 'never connected');

    // reject_unauthorized: false skips verification altogether (any certificate, any host
    // name: no protection against a man in the middle). For bench setups only, never a robot.
    const lax = driverRig(t, withTls({ reject_unauthorized: false }), deviceFile);
    lax.driver.start();
    await waitFor(() => lax.driver.connected, 'driver connected without verifying the certificate');
    assert.equal(lax.driver.stats.lastError, '');
  },
);

test('TLS settings with a plain mqtt:// URL are refused instead of sending credentials unencrypted', () => {
  const device = loadDeviceConfig(shippedDeviceFile) as MqttDevice;
  const withTls: MqttDevice = { ...device, mqtt: { ...device.mqtt, tls: { reject_unauthorized: true } } };
  assert.throws(
    () =>
      mqttConnectionSettings(withTls, {
        deviceFile: shippedDeviceFile,
        brokerUrl: 'mqtt://robot:pw@localhost:1883',
      }),
    (err: Error) =>
      err instanceof RangeError &&
      /mqtt\.tls is set but the broker URL mqtt:\/\/localhost:1883\/? is not TLS/.test(err.message) &&
      !err.message.includes('pw'),
  );
  assert.equal(
    mqttConnectionSettings(withTls, { deviceFile: shippedDeviceFile, brokerUrl: 'mqtts://localhost:8883' })
      .url,
    'mqtts://localhost:8883',
  );
});
