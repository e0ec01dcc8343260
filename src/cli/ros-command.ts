/**
 * `mbrl ros <kind> [--config robot.yaml] [--ros-args ...]`: one node kind of the ROS 2
 * package (what `ros2 run mbrl_control <kind>` and the launch files start). On ROS 2 the
 * arguments after --ros-args go to rcl (parameter files, remappings, log level); with
 * `--transport in-process` the same subset is applied here, so a kind can be run and tested
 * without ROS 2 (only `robot`, which holds every node, is useful alone that way).
 * SIGINT/SIGTERM: managed nodes deactivate (the safe command goes out), then everything closes.
 */
import type { Command } from 'commander';
import { TeleopKeyboardInput } from '../nodes/teleop/keyboard-input.js';
import { StatusLine } from '../nodes/teleop/status-line.js';
import {
  isRosNodeKind,
  ROS_NODE_KINDS,
  startRosNodeKind,
  type RosNodeKind,
} from '../robot/ros-node-kinds.js';
import { errorText } from '../runtime/error-text.js';
import { InProcessBus } from '../runtime/in-process-bus.js';
import { setLogLevel, setLogSink, stderrSink } from '../runtime/logger.js';
import type { NodeOptions, Transport } from '../runtime/node-api.js';
import {
  loadParamsFile,
  parametersForNode,
  parseRosArgs,
  unmatchedKeyReason,
  type RosArgs,
} from '../runtime/ros-args.js';
import { Ros2Transport } from '../runtime/ros2/ros2-transport.js';
import { parseNonNegative } from './parse-number.js';
import { untilStopped } from './until-stopped.js';

interface RosOptions {
  config?: string;
  transport: 'ros2' | 'in-process';
  seconds?: number;
}

function parseTransport(value: string): RosOptions['transport'] {
  if (value !== 'ros2' && value !== 'in-process')
    throw new RangeError(`--transport: expected ros2 or in-process, got '${value}'`);
  return value;
}

/** `rosArgs`: what followed --ros-args on the command line (split off before commander parses). */
export function registerRosCommand(program: Command, rosArgs: readonly string[]): void {
  program
    .command('ros')
    .description(
      `run one node kind of the ROS 2 package (${ROS_NODE_KINDS.join(', ')}); ROS arguments follow --ros-args`,
    )
    .argument('<kind>', `node kind: ${ROS_NODE_KINDS.join(' | ')}`)
    .option(
      '--config <file>',
      'robot config (a path, or a name in hardware/robots); default: parameter robot_config',
    )
    .option(
      '--transport <kind>',
      'ros2 (rclnodejs; needs a sourced ROS 2) or in-process (no ROS 2: for trying a kind alone)',
      parseTransport,
      'ros2',
    )
    .option('--seconds <s>', 'stop after this long (default: until Ctrl-C / SIGTERM)', parseNonNegative)
    .action(async (kindArg: string, opts: RosOptions) => {
      if (!isRosNodeKind(kindArg))
        throw new RangeError(
          `unknown node kind '${kindArg}' (expected one of: ${ROS_NODE_KINDS.join(', ')})`,
        );
      const kind: RosNodeKind = kindArg;
      let transport: Transport;
      let nodeOptions: ((name: string) => NodeOptions) | undefined;
      let nodeName: string | undefined;
      if (opts.transport === 'ros2') {
        warnIgnoredParamsFileKeys(rosArgs);
        try {
          transport = await Ros2Transport.create({
            args: rosArgs.length > 0 ? ['--ros-args', ...rosArgs] : [],
          });
        } catch (error) {
          // What to do about it (source ROS 2, install rclnodejs) is the message: no stack trace.
          throw new RangeError(errorText(error), { cause: error });
        }
      } else {
        setLogSink(stderrSink);
        let parsed: RosArgs;
        try {
          parsed = parseRosArgs(rosArgs);
        } catch (error) {
          throw new RangeError(errorText(error), { cause: error });
        }
        nodeName = parsed.nodeName;
        if (parsed.logLevel) setLogLevel(parsed.logLevel);
        const namespace = parsed.namespace ?? '/';
        nodeOptions = (name) => ({
          namespace,
          parameterOverrides: parametersForNode(parsed, name),
        });
        transport = new InProcessBus();
      }
      const wantsKeyboard = kind === 'teleop' || kind === 'robot';
      const keyboard =
        wantsKeyboard && process.stdin.isTTY ? new TeleopKeyboardInput({ stream: process.stdin }) : undefined;
      const statusLine = keyboard ? new StatusLine({ stream: process.stderr }) : null;
      let running;
      try {
        running = await startRosNodeKind({
          kind,
          transport,
          configFile: opts.config,
          nodeOptions,
          nodeName,
          keyboard,
          status: statusLine?.update,
        });
      } catch (error) {
        await transport.shutdown();
        throw error;
      }
      process.stderr.write(`mbrl ros ${kind} (${transport.kind}): ${running.describe()}\n`);
      await untilStopped(opts.seconds);
      try {
        await running.stop();
      } finally {
        statusLine?.done();
        if (keyboard) process.stdin.pause();
        await transport.shutdown();
      }
      process.stderr.write(`mbrl ros ${kind}: stopped\n`);
    });
}

/** rcl reads params files itself; say which of their keys rclnodejs will not apply to any node. */
function warnIgnoredParamsFileKeys(rosArgs: readonly string[]): void {
  rosArgs.forEach((arg, i) => {
    const file = rosArgs[i + 1];
    if (arg !== '--params-file' || file === undefined) return;
    try {
      for (const rule of loadParamsFile(file)) {
        const why = unmatchedKeyReason(rule.node);
        if (why) process.stderr.write(`mbrl ros: warning: ${rule.source}: ${why}\n`);
      }
    } catch (error) {
      // rcl reports a file it cannot read or parse itself, naming it.
      process.stderr.write(`mbrl ros: warning: ${errorText(error)}\n`);
    }
  });
}
