/**
 * ROS 2 command-line arguments (`--ros-args ... [--]`, design.ros2.org "ROS command line
 * arguments"). On ROS 2 rcl parses them and rclnodejs applies the parameter rules (only '/**'
 * and bare node-name keys; '/**' first, then the node's own); this parser gives the in-process
 * transport the same subset and precedence, so `mbrl ros <kind>` behaves alike on both:
 * parameter files, `-p [node:]name:=value`, and the `__ns` / `__node` remappings. Anything
 * else is refused with the argument named, rather than silently ignored.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { parseLogLevel } from './logger.js';
import type { LogLevel, ParameterValue } from './node-api.js';
import { normalizeNamespace } from './topic-names.js';

export interface SplitArgs {
  /** The program's own arguments (everything outside --ros-args ... --). */
  app: string[];
  /** The ROS arguments, without the --ros-args markers. */
  ros: string[];
}

/** Splits argv into the program's arguments and the ROS arguments (there may be several blocks). */
export function splitRosArgs(argv: readonly string[]): SplitArgs {
  const app: string[] = [];
  const ros: string[] = [];
  let inRos = false;
  for (const arg of argv) {
    if (arg === '--ros-args') inRos = true;
    else if (inRos && arg === '--') inRos = false;
    else (inRos ? ros : app).push(arg);
  }
  return { app, ros };
}

/** One source of parameter values for the nodes a key names ('/**' = every node). */
export interface ParameterRule {
  /** '/**', or a bare node name: the only keys rclnodejs matches (Node._getNativeParameterOverrides). */
  node: string;
  parameters: Record<string, ParameterValue>;
  /** Where it came from, for messages. */
  source: string;
}

export interface RosArgs {
  /** Parameter files' sections and `-p` rules, in command-line order. */
  rules: ParameterRule[];
  namespace?: string;
  nodeName?: string;
  logLevel?: LogLevel;
}

/**
 * Why rclnodejs would ignore a params-file key, or undefined when it matches keys like it: '/**'
 * and bare node names only (rclcpp also matches '/ns/node' and wildcards; rclnodejs does not).
 */
export function unmatchedKeyReason(key: string): string | undefined {
  if (key === '/**' || /^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return undefined;
  return `node key '${key}' would be ignored: rclnodejs matches only '/**' and bare node names (no namespaces, no other wildcards)`;
}

function parameterValue(text: string, where: string): ParameterValue {
  const value: unknown = parseYaml(text);
  const ok = (v: unknown): boolean => ['boolean', 'number', 'string'].includes(typeof v);
  if (ok(value)) return value as ParameterValue;
  if (Array.isArray(value) && value.every(ok) && new Set(value.map((v) => typeof v)).size <= 1)
    return value as ParameterValue;
  throw new Error(
    `${where}: ${JSON.stringify(value)} is not a parameter value (bool, number, string or a homogeneous array)`,
  );
}

/** Flattens nested ros__parameters maps into dotted names, as rcl does. */
function flatten(value: unknown, prefix: string, out: Record<string, ParameterValue>, where: string): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out, where);
    return;
  }
  out[prefix] = parameterValue(JSON.stringify(value), `${where}: parameter '${prefix}'`);
}

/** Reads a ROS 2 parameters file ({ <node key>: { ros__parameters: {...} } }) as rules, in file order. */
export function loadParamsFile(file: string): ParameterRule[] {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`parameters file ${file}: ${(err as Error).message}`, { cause: err });
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
    throw new Error(`parameters file ${file}: expected a mapping of node names to { ros__parameters: ... }`);
  const rules: ParameterRule[] = [];
  for (const [node, body] of Object.entries(doc)) {
    const section = (body ?? {}) as Record<string, unknown>;
    if (typeof body !== 'object' || body === null || !('ros__parameters' in section))
      throw new Error(`parameters file ${file}: node '${node}' has no ros__parameters`);
    const parameters: Record<string, ParameterValue> = {};
    flatten(section.ros__parameters ?? {}, '', parameters, `parameters file ${file}, node '${node}'`);
    rules.push({ node, parameters, source: `parameters file ${file}` });
  }
  return rules;
}

/** Parses ROS arguments (without the --ros-args marker); refuses what the in-process transport cannot honour. */
export function parseRosArgs(args: readonly string[]): RosArgs {
  const result: RosArgs = { rules: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const next = (): string => {
      const value = args[++i];
      if (value === undefined) throw new Error(`ROS argument ${arg} needs a value`);
      return value;
    };
    if (arg === '-p' || arg === '--param') {
      const rule = next();
      const at = rule.indexOf(':=');
      if (at <= 0) throw new Error(`ROS argument ${arg} ${rule}: expected [node:]name:=value`);
      // `-p node:name:=value` is that node's; `-p name:=value` is everyone's ('/**'), as in rcl.
      const target = rule.slice(0, at);
      const colon = target.indexOf(':');
      const node = colon < 0 ? '/**' : target.slice(0, colon);
      const name = colon < 0 ? target : target.slice(colon + 1);
      if (name === '' || unmatchedKeyReason(node))
        throw new Error(`ROS argument ${arg} ${rule}: expected name:=value or <bare node name>:name:=value`);
      result.rules.push({
        node,
        parameters: { [name]: parameterValue(rule.slice(at + 2), `ROS argument ${arg} ${rule}`) },
        source: `ROS argument ${arg} ${rule}`,
      });
    } else if (arg === '--params-file') {
      const rules = loadParamsFile(next());
      for (const r of rules) {
        const why = unmatchedKeyReason(r.node);
        if (why) throw new Error(`${r.source}: ${why}`);
      }
      result.rules.push(...rules);
    } else if (arg === '-r' || arg === '--remap') {
      const rule = next();
      const [from, to] = rule.split(':=');
      if (to === undefined || to === '') throw new Error(`ROS argument ${arg} ${rule}: expected from:=to`);
      if (from === '__ns') result.namespace = normalizeNamespace(to);
      else if (from === '__node' || from === '__name') result.nodeName = to;
      else
        throw new Error(
          `ROS argument ${arg} ${rule}: topic remapping is not supported on the in-process transport (only __ns and __node)`,
        );
    } else if (arg === '--log-level') {
      const value = next();
      // rcl also takes '<logger>:=<level>'; the in-process loggers share one level.
      if (value.includes(':='))
        throw new Error(
          `ROS argument --log-level ${value}: per-logger levels are not supported on the in-process transport`,
        );
      result.logLevel = parseLogLevel(value.toLowerCase());
    } else {
      throw new Error(`ROS argument '${arg}' is not supported on the in-process transport`);
    }
  }
  return result;
}

/**
 * The parameter overrides for the node `name` (bare), as rclnodejs resolves them: every '/**'
 * rule first, then the node's own, each group in command-line order (later wins).
 */
export function parametersForNode(args: RosArgs, name: string): Record<string, ParameterValue> {
  const out: Record<string, ParameterValue> = {};
  for (const rule of args.rules) if (rule.node === '/**') Object.assign(out, rule.parameters);
  for (const rule of args.rules) if (rule.node === name) Object.assign(out, rule.parameters);
  return out;
}
