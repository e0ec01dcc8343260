"""Run a robot from its config (hardware/robots/*.yaml) on ROS 2.

    ros2 launch mbrl_control robot.launch.py robot_config:=cartpole-serial
    ros2 launch mbrl_control robot.launch.py robot_config:=/path/robot.yaml split:=true

split:=false (default) starts one `robot` process, the equivalent of `mbrl run`: drivers,
controller, data logger and (for PETS) trainer as ROS 2 nodes of one process. It is the
default because the stack relies on in-process couplings today: the trainer flushes the data
logger's writer before it reads the logs, and the model it publishes is installed into the
controller's planner in the same process. split:=true starts each node as its own process
(one per driver, controller, data_logger and, for PETS, trainer); it needs those couplings
to go over topics and files only (docs/ROS2.md, status).
"""

import os
import sys

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.substitutions import LaunchConfiguration

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
    split = mbrl_launch.as_bool(conf.get('split', 'false'))
    ros_args = ['--log-level', conf.get('log_level', 'info')]

    def node(executable, name=None, extra=None):
        return mbrl_launch.stack_node(
            executable,
            name,
            namespace=namespace,
            robot_config=robot_config,
            params_file=params_file,
            use_sim_time=use_sim_time,
            extra=extra,
            ros_arguments=ros_args,
        )

    if not split:
        # No name: the process holds several nodes and __node remapping would rename them all.
        return [node('robot')]
    nodes = [
        node(executable, name, {'driver_index': index})
        for name, executable, index in mbrl_launch.driver_nodes(config)
    ]
    nodes.append(node('controller', 'controller'))
    nodes.append(node('data_logger', 'data_logger'))
    if mbrl_launch.runs_trainer(config):
        nodes.append(node('trainer', 'trainer'))
    return nodes


def generate_launch_description():
    return LaunchDescription(
        [
            DeclareLaunchArgument(
                'robot_config',
                default_value=_share('hardware/robots/cartpole-realtime.yaml'),
                description='robot config: a path, or a name in hardware/robots (cartpole-serial)',
            ),
            DeclareLaunchArgument(
                'use_sim_time', default_value='false', description='follow /clock'
            ),
            DeclareLaunchArgument('namespace', default_value='', description='namespace of every node'),
            DeclareLaunchArgument(
                'params_file',
                default_value=_share('launch/params/robot.yaml'),
                description='ros__parameters file for the nodes',
            ),
            DeclareLaunchArgument(
                'split',
                default_value='false',
                description='one process per node instead of one robot process',
            ),
            DeclareLaunchArgument('log_level', default_value='info', description='ROS log level'),
            OpaqueFunction(function=_setup),
        ]
    )
