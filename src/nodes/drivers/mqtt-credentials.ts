/**
 * MQTT broker credentials from environment variables or files (Docker/Kubernetes secrets),
 * as a device file's `mqtt.credentials` names them. Errors name the variable or file, never
 * the secret; `redactUrl` keeps user:password in a broker URL out of logs and diagnostics.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { MqttDevice } from '../../config/device-schema.js';

export type MqttCredentialsSpec = NonNullable<MqttDevice['mqtt']['credentials']>;

export interface MqttCredentials {
  username?: string;
  password?: string;
}

export interface ResolveCredentialsOptions {
  /** Where `*_env` variables are looked up; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Directory relative `*_file` paths are resolved against (the device file's directory). */
  baseDir: string;
}

/** Reads the username and password a credentials spec points to; throws naming what is missing. */
export function resolveMqttCredentials(
  credentials: MqttCredentialsSpec | undefined,
  options: ResolveCredentialsOptions,
): MqttCredentials {
  if (!credentials) return {};
  const env = options.env ?? process.env;
  const result: MqttCredentials = {};
  const username = readSecret(
    'username',
    credentials.username_env,
    credentials.username_file,
    env,
    options.baseDir,
  );
  const password = readSecret(
    'password',
    credentials.password_env,
    credentials.password_file,
    env,
    options.baseDir,
  );
  if (username !== undefined) result.username = username;
  if (password !== undefined) result.password = password;
  return result;
}

function readSecret(
  what: 'username' | 'password',
  envName: string | undefined,
  file: string | undefined,
  env: NodeJS.ProcessEnv,
  baseDir: string,
): string | undefined {
  if (envName !== undefined) {
    const value = env[envName];
    if (value === undefined || value === '')
      throw new Error(`MQTT ${what}: environment variable ${envName} is not set (credentials.${what}_env)`);
    return value;
  }
  if (file !== undefined) {
    const resolved = path.resolve(baseDir, file);
    let text: string;
    try {
      text = readFileSync(resolved, 'utf8');
    } catch (err) {
      // The errno code says enough (ENOENT, EACCES); the message could quote nothing secret anyway.
      const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new Error(`MQTT ${what}: cannot read ${resolved} (credentials.${what}_file): ${code}`, {
        cause: err,
      });
    }
    // Secret files usually end with a newline that is not part of the secret.
    return text.replace(/\r?\n+$/, '');
  }
  return undefined;
}

/** The URL without user:password (and with any query kept), for logs and hardware ids. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username === '' && parsed.password === '') return url;
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    // Not a URL the WHATWG parser accepts: strip anything that looks like userinfo anyway.
    return url.replace(/:\/\/[^/@]*@/, '://');
  }
}
