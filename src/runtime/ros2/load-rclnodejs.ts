/**
 * Loads rclnodejs at run time, so nothing in the build needs it. When it cannot be loaded
 * (not installed, ROS 2 not sourced, native addon not built) the error says what to do.
 */
import { errorText } from '../error-text.js';
import type { RclnodejsModule } from './rclnodejs-api.js';

export interface LoadRclnodejsOptions {
  /** Module specifier to import; default 'rclnodejs'. Tests point it at a missing module. */
  specifier?: string;
  /** Environment to describe in the error; default process.env. */
  env?: NodeJS.ProcessEnv;
}

/** The message of the Error thrown when rclnodejs cannot be loaded. */
export function rclnodejsLoadErrorMessage(reason: string, env: NodeJS.ProcessEnv = process.env): string {
  const distro = env.ROS_DISTRO;
  const rosState =
    distro === undefined || distro === ''
      ? 'ROS_DISTRO is unset, so ROS 2 has not been sourced in this shell'
      : `ROS_DISTRO is set to '${distro}'`;
  return [
    `the ROS 2 transport needs rclnodejs, which could not be loaded (${rosState}).`,
    'To fix it:',
    '  1. Source a ROS 2 installation (Humble, Jazzy or Kilted), e.g.',
    `       source /opt/ros/${distro === undefined || distro === '' ? '<distro>' : distro}/setup.bash`,
    '     (<distro> is humble, jazzy or kilted).',
    '  2. With ROS 2 sourced, run `npm install rclnodejs` in this package, so its native addon',
    '     and message bindings are built against that ROS 2.',
    'Or use the in-process transport, which needs neither.',
    `Underlying error: ${reason}`,
  ].join('\n');
}

function isRclnodejsModule(value: unknown): value is RclnodejsModule {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  return typeof m.init === 'function' && typeof m.Node === 'function' && typeof m.QoS === 'function';
}

/** Imports rclnodejs; throws an Error telling the user how to make it loadable. */
export async function loadRclnodejs(options: LoadRclnodejsOptions = {}): Promise<RclnodejsModule> {
  const specifier = options.specifier ?? 'rclnodejs';
  const env = options.env ?? process.env;
  let loaded: unknown;
  try {
    // A variable specifier: TypeScript does not resolve it, so the build never needs rclnodejs.
    loaded = await import(specifier);
  } catch (err) {
    throw new Error(rclnodejsLoadErrorMessage(errorText(err), env), { cause: err });
  }
  // rclnodejs 2.x is ESM with a default export; older CommonJS builds arrive as `default` too.
  const candidate = (loaded as { default?: unknown }).default ?? loaded;
  if (!isRclnodejsModule(candidate)) {
    throw new Error(
      rclnodejsLoadErrorMessage(
        `'${specifier}' loaded but does not look like rclnodejs (no init/Node/QoS)`,
        env,
      ),
    );
  }
  return candidate;
}
