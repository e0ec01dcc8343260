"""Drive a robot by hand and log the transitions, as `mbrl teleop`, on ROS 2.

    ros2 launch mbrl_control teleop.launch.py robot_config:=cartpole-serial terminal:='xterm -e'

Processes: the robot's driver(s), the controller in teleop mode (it applies the operator's
command within the config's limits and sends it to the driver), the teleop node and the data
logger. The teleop node reads the keyboard from its terminal: ros2 launch gives child processes
no stdin, so give a terminal prefix (terminal:='xterm -e'), or drive it with a joystick: the
config's teleop.joy section and either `ros2 run joy joy_node` or the built-in reader
(joystick:=/dev/input/js0).
"""

import os
import sys

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), '..', 'ros'))
import mbrl_launch  # noqa: E402


def _share(relative):
    return mbrl_launch.share_path(relative)


def _setup(context, *args, **kwargs):
    conf = context.launch_configurations
    robot_config = mbrl_launch.resolve_robot_config(conf['robot_config'])
    config = mbrl_launch.load_robot_config(robot_config)
    use_sim_time = mbrl_launch.as_bool(conf['use_sim_time'])
    namespace = conf.get('namespace', '') or None
    params_file = conf.get('params_file', '')
    terminal = conf.get('terminal', '').strip()
    joystick = conf.get('joystick', '').strip()

    def node(executable, name, extra=None, prefix=None):
        return mbrl_launch.stack_node(
            executable,
            name,
            namespace=namespace,
            robot_config=robot_config,
            params_file=params_file,
            use_sim_time=use_sim_time,
            extra=extra,
            prefix=prefix,
        )

    nodes = [
        node(executable, name, {'driver_index': index})
        for name, executable, index in mbrl_launch.driver_nodes(config)
    ]
    nodes.append(node('controller', 'controller', {'mode': 'teleop'}))
    nodes.append(node('teleop', 'teleop', {'joystick': joystick}, prefix=terminal or None))
    nodes.append(node('data_logger', 'data_logger'))
    return nodes


def generate_launch_description():
    return LaunchDescription(
        [
            DeclareLaunchArgument(
                'robot_config',
                default_value=_share('hardware/robots/cartpole-realtime.yaml'),
                description='robot config: a path, or a name in hardware/robots (cartpole-serial)',
            ),
            DeclareLaunchArgument('use_sim_time', default_value='false', description='follow /clock'),
            DeclareLaunchArgument('namespace', default_value='', description='namespace of every node'),
            DeclareLaunchArgument(
                'params_file',
                default_value=_share('launch/params/teleop.yaml'),
                description='ros__parameters file for the nodes',
            ),
            DeclareLaunchArgument(
                'terminal',
                default_value='',
                description="prefix giving the teleop node a terminal for the keyboard, e.g. 'xterm -e'",
            ),
            DeclareLaunchArgument(
                'joystick',
                default_value='',
                description='joystick device for the built-in reader (e.g. /dev/input/js0); needs teleop.joy',
            ),
            OpaqueFunction(function=_setup),
        ]
    )
