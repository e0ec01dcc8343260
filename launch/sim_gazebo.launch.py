"""The cart-pole in Gazebo (gz sim, headless) with the controller stack on sim time.

    ros2 launch mbrl_control sim_gazebo.launch.py

Gazebo runs hardware/gazebo/cartpole.sdf (the world holds the model, so nothing is spawned);
ros_gz_bridge's parameter_bridge carries joint states and /clock out of Gazebo and one
std_msgs/Float64 force command per actuated joint into it (hardware/gazebo/bridge.yaml). The
bridge has no Float64MultiArray mapping, so the controller must publish per-joint Float64
commands, scaled to newtons by the actuator gear (topics.joint_commands in
hardware/gazebo/cartpole-gazebo.yaml).
Gazebo and the bridge stand in for the robot's drivers, so the stack is started as separate
controller, data_logger and (PETS) trainer processes, all with use_sim_time true.
"""

import os
import sys

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, IncludeLaunchDescription, OpaqueFunction
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch_ros.actions import Node

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), '..', 'ros'))
import mbrl_launch  # noqa: E402


def _share(relative):
    return mbrl_launch.share_path(relative)


def _setup(context, *args, **kwargs):
    conf = context.launch_configurations
    robot_config = mbrl_launch.resolve_robot_config(conf['robot_config'])
    config = mbrl_launch.load_robot_config(robot_config)
    namespace = conf.get('namespace', '') or None
    params_file = conf.get('params_file', '')
    world = conf['world']
    server_only = '-s ' if mbrl_launch.as_bool(conf.get('headless', 'true')) else ''

    gz = IncludeLaunchDescription(
        PythonLaunchDescriptionSource(
            os.path.join(get_package_share_directory('ros_gz_sim'), 'launch', 'gz_sim.launch.py')
        ),
        launch_arguments={'gz_args': f'-r {server_only}{world}', 'on_exit_shutdown': 'true'}.items(),
    )
    bridge = Node(
        package='ros_gz_bridge',
        executable='parameter_bridge',
        name='gz_bridge',
        namespace=namespace,
        parameters=[{'config_file': conf['bridge_config'], 'use_sim_time': True}],
        output='screen',
    )

    def node(executable, name):
        return mbrl_launch.stack_node(
            executable,
            name,
            namespace=namespace,
            robot_config=robot_config,
            params_file=params_file,
            use_sim_time=True,
        )

    nodes = [gz, bridge, node('controller', 'controller'), node('data_logger', 'data_logger')]
    if mbrl_launch.runs_trainer(config):
        nodes.append(node('trainer', 'trainer'))
    return nodes


def generate_launch_description():
    return LaunchDescription(
        [
            DeclareLaunchArgument(
                'world',
                default_value=_share('hardware/gazebo/cartpole.sdf'),
                description='SDF world holding the cart-pole model',
            ),
            DeclareLaunchArgument(
                'robot_config',
                default_value=_share('hardware/gazebo/cartpole-gazebo.yaml'),
                description='robot config of the stack (no drivers: Gazebo is the robot)',
            ),
            DeclareLaunchArgument(
                'bridge_config',
                default_value=_share('hardware/gazebo/bridge.yaml'),
                description='ros_gz_bridge topic mappings',
            ),
            DeclareLaunchArgument(
                'params_file',
                default_value=_share('launch/params/gazebo.yaml'),
                description='ros__parameters file for the nodes',
            ),
            DeclareLaunchArgument('namespace', default_value='', description='namespace of the stack'),
            DeclareLaunchArgument(
                'headless', default_value='true', description='server only (no Gazebo GUI)'
            ),
            OpaqueFunction(function=_setup),
        ]
    )
