/**
 * A MuJoCo model and its simulation state, loaded from an MJCF file on disk. It knows
 * nothing of tasks, topics or policies: it steps physics and reads and writes joints,
 * actuators and sensors by name. Arrays are re-read from the module on each access
 * because WebAssembly memory growth detaches previously returned views.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import type { MjData, MjModel } from 'mujoco-js';
import { loadMujocoModule, takeMujocoOutput, type MujocoModule } from './mujoco-wasm.js';
import { MujocoModelError } from './mujoco-model-error.js';

export type JointKind = 'free' | 'ball' | 'slide' | 'hinge';

export interface JointInfo {
  name: string;
  kind: JointKind;
  qposAddress: number;
  dofAddress: number;
}

export interface SensorInfo {
  name: string;
  /** MuJoCo sensor type name without prefix, e.g. "gyro", "jointpos". */
  type: string;
  dim: number;
  address: number;
  /** Name of the object the sensor is attached to (site, joint, ...), '' if none. */
  objectName: string;
}

const JOINT_KINDS: JointKind[] = ['free', 'ball', 'slide', 'hinge'];
const MAX_ASSET_BYTES = 64 * 1024 * 1024;
let mountCounter = 0;

export class MujocoSimulator {
  readonly joints: readonly JointInfo[];
  readonly actuatorNames: readonly string[];
  readonly sensors: readonly SensorInfo[];
  readonly siteNames: readonly string[];
  private readonly jointByName: Map<string, JointInfo>;
  private disposed = false;

  private constructor(
    private readonly mj: MujocoModule,
    private readonly model: MjModel,
    private readonly data: MjData,
    readonly file: string,
  ) {
    const objName = (type: number, id: number) => mj.mj_id2name(model, type, id) ?? '';
    const obj = mj.mjtObj;
    const jntType = model.jnt_type as Int32Array;
    const qposAdr = model.jnt_qposadr as Int32Array;
    const dofAdr = model.jnt_dofadr as Int32Array;
    this.joints = Array.from({ length: model.njnt }, (_, i) => ({
      name: objName(obj.mjOBJ_JOINT.value, i),
      kind: JOINT_KINDS[jntType[i]],
      qposAddress: qposAdr[i],
      dofAddress: dofAdr[i],
    }));
    this.jointByName = new Map(this.joints.map((j) => [j.name, j]));
    this.actuatorNames = Array.from({ length: model.nu }, (_, i) => objName(obj.mjOBJ_ACTUATOR.value, i));
    this.siteNames = Array.from({ length: model.nsite }, (_, i) => objName(obj.mjOBJ_SITE.value, i));
    const sensorTypeNames = new Map<number, string>();
    for (const [key, value] of Object.entries(mj.mjtSensor)) {
      if (key.startsWith('mjSENS_') && typeof value === 'object' && value !== null && 'value' in value)
        sensorTypeNames.set(Number(value.value), key.slice('mjSENS_'.length).toLowerCase());
    }
    const sType = model.sensor_type as Int32Array;
    const sDim = model.sensor_dim as Int32Array;
    const sAdr = model.sensor_adr as Int32Array;
    const sObjType = model.sensor_objtype as Int32Array;
    const sObjId = model.sensor_objid as Int32Array;
    this.sensors = Array.from({ length: model.nsensor }, (_, i) => ({
      name: objName(obj.mjOBJ_SENSOR.value, i),
      type: sensorTypeNames.get(sType[i]) ?? `type${sType[i]}`,
      dim: sDim[i],
      address: sAdr[i],
      objectName: sObjId[i] >= 0 ? objName(sObjType[i], sObjId[i]) : '',
    }));
  }

  /** Loads an MJCF file; files beside it (includes, meshes) are made visible to MuJoCo. */
  static async load(mjcfPath: string): Promise<MujocoSimulator> {
    const mj = await loadMujocoModule();
    const xml = readFileOrThrow(mjcfPath);
    const root = `/mbrl/${++mountCounter}`;
    mkdirp(mj, root);
    copyTree(mj, dirname(mjcfPath), root, mjcfPath);
    mj.FS.writeFile(`${root}/${basename(mjcfPath)}`, xml);
    takeMujocoOutput();
    let model: MjModel | null | undefined;
    let failure = '';
    try {
      model = mj.MjModel.loadFromXML(`${root}/${basename(mjcfPath)}`);
    } catch (error) {
      failure = error instanceof Error ? error.name : String(error);
    }
    if (!model) {
      // Parse errors come back as a null model with the reason printed; compile errors throw.
      const printed = takeMujocoOutput().trim();
      throw new MujocoModelError(
        mjcfPath,
        `MuJoCo could not load the model${failure ? ` (${failure})` : ''}` +
          (printed
            ? `: ${printed}`
            : '. The WebAssembly build gives no detail; check the file with MuJoCo\'s "simulate" or compile it natively.'),
      );
    }
    // Energy is needed for physics sanity checks and diagnostics; it costs little.
    model.opt.enableflags |= mj.mjtEnableBit.mjENBL_ENERGY.value;
    const data = new mj.MjData(model);
    mj.mj_forward(model, data);
    return new MujocoSimulator(mj, model, data, mjcfPath);
  }

  get timestep(): number {
    return this.model.opt.timestep;
  }

  get time(): number {
    return this.data.time;
  }

  get nq(): number {
    return this.model.nq;
  }

  get nv(): number {
    return this.model.nv;
  }

  get nu(): number {
    return this.model.nu;
  }

  joint(name: string): JointInfo {
    const joint = this.jointByName.get(name);
    if (!joint)
      throw new MujocoModelError(
        this.file,
        `no joint named "${name}" (joints: ${this.joints.map((j) => j.name).join(', ')})`,
      );
    return joint;
  }

  actuatorIndex(name: string): number {
    const index = this.actuatorNames.indexOf(name);
    if (index < 0)
      throw new MujocoModelError(
        this.file,
        `no actuator named "${name}" (actuators: ${this.actuatorNames.join(', ')})`,
      );
    return index;
  }

  sensor(name: string): SensorInfo {
    const sensor = this.sensors.find((s) => s.name === name);
    if (!sensor) throw new MujocoModelError(this.file, `no sensor named "${name}"`);
    return sensor;
  }

  qpos(): Float64Array {
    return this.data.qpos as Float64Array;
  }

  qvel(): Float64Array {
    return this.data.qvel as Float64Array;
  }

  ctrl(): Float64Array {
    return this.data.ctrl as Float64Array;
  }

  /** Generalized actuator force per degree of freedom (effort in JointState). */
  actuatorForce(): Float64Array {
    return this.data.qfrc_actuator as Float64Array;
  }

  sensordata(): Float64Array {
    return this.data.sensordata as Float64Array;
  }

  /** World position of a site (after forward kinematics of the current state). */
  sitePosition(name: string, out = new Float64Array(3)): Float64Array {
    const id = this.siteNames.indexOf(name);
    if (id < 0) throw new MujocoModelError(this.file, `no site named "${name}"`);
    const xpos = this.data.site_xpos as Float64Array;
    out[0] = xpos[3 * id];
    out[1] = xpos[3 * id + 1];
    out[2] = xpos[3 * id + 2];
    return out;
  }

  /** [potential, kinetic] energy in joules, as computed by the last step or forward(). */
  energy(): [number, number] {
    const e = this.data.energy as Float64Array;
    return [e[0], e[1]];
  }

  /** Back to the model's reference configuration, zero velocity and control, time 0. */
  reset(): void {
    this.mj.mj_resetData(this.model, this.data);
    this.mj.mj_forward(this.model, this.data);
  }

  /** Recomputes derived quantities (sensors, site positions, energy) after writing state. */
  forward(): void {
    this.mj.mj_forward(this.model, this.data);
  }

  step(substeps = 1): void {
    for (let i = 0; i < substeps; i++) this.mj.mj_step(this.model, this.data);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.data.delete();
    this.model.delete();
  }
}

function readFileOrThrow(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new MujocoModelError(path, `cannot read MJCF file: ${(error as Error).message}`);
  }
}

function mkdirp(mj: MujocoModule, path: string): void {
  let current = '';
  for (const part of path.split('/').filter(Boolean)) {
    current += `/${part}`;
    try {
      mj.FS.mkdir(current);
    } catch {
      // Already exists.
    }
  }
}

/** Mirrors the MJCF's directory into the in-memory file system for includes and assets. */
function copyTree(mj: MujocoModule, hostDir: string, memDir: string, skip: string, depth = 0): void {
  if (depth > 4) return;
  for (const entry of readdirSync(hostDir, { withFileTypes: true })) {
    const hostPath = join(hostDir, entry.name);
    if (hostPath === skip) continue;
    const memPath = `${memDir}/${relative(hostDir, hostPath)}`;
    if (entry.isDirectory()) {
      mkdirp(mj, memPath);
      copyTree(mj, hostPath, memPath, skip, depth + 1);
    } else if (entry.isFile() && statSync(hostPath).size <= MAX_ASSET_BYTES) {
      mj.FS.writeFile(memPath, readFileSync(hostPath));
    }
  }
}
