"""Helpers shared by launch/*.launch.py (installed to share/mbrl_control/ros).

Only the standard library and PyYAML (a dependency of ROS 2 launch), so this module is
testable without ROS. The launch files find it as ../ros relative to themselves, which holds
in the source tree and in the install (share/mbrl_control/{launch,ros}).
"""

import os

import yaml

PACKAGE = 'mbrl_control'

# Robot-config driver type -> executable (ros/<kind>, installed to lib/mbrl_control).
DRIVER_EXECUTABLES = {'sim': 'sim', 'serial': 'serial_driver', 'mqtt': 'mqtt_driver'}

NODE_KINDS = (
    'controller',
    'data_logger',
    'trainer',
    'teleop',
    'serial_driver',
    'mqtt_driver',
    'sim',
    'robot',
)


def package_share():
    """share/mbrl_control when installed; the package source root in a source tree."""
    return os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))


def share_path(relative):
    """A file shipped with the package, given relative to the package root."""
    return os.path.join(package_share(), relative)


def as_bool(value):
    text = str(value).strip().lower()
    if text in ('true', '1', 'yes', 'on'):
        return True
    if text in ('false', '0', 'no', 'off', ''):
        return False
    raise ValueError(f'expected true or false, got {value!r}')


def resolve_robot_config(value, share=None):
    """Robot config argument -> absolute path.

    Accepts an absolute path, a path relative to the working directory, a path relative
    to the package (hardware/robots/cartpole-serial.yaml) or a bare name (cartpole-serial
    -> hardware/robots/cartpole-serial.yaml in the package).
    """
    share = share or package_share()
    value = str(value).strip()
    if not value:
        raise ValueError('robot_config is empty: give a robot config file or name')
    candidates = [os.path.abspath(value), os.path.join(share, value)]
    if os.sep not in value and not value.endswith(('.yaml', '.yml')):
        candidates.append(os.path.join(share, 'hardware', 'robots', value + '.yaml'))
    for candidate in candidates:
        if os.path.isfile(candidate):
            return os.path.realpath(candidate)
    raise FileNotFoundError(
        f'robot config {value!r} not found (tried: {", ".join(candidates)})'
    )


def load_robot_config(path):
    with open(path, encoding='utf-8') as f:
        config = yaml.safe_load(f)
    if not isinstance(config, dict):
        raise ValueError(f'{path}: expected a mapping (see hardware/robots/*.yaml)')
    return config


def driver_nodes(config):
    """[(node name, executable, driver index)] for the config's drivers, named as `mbrl run` names them."""
    nodes = []
    for index, driver in enumerate(config.get('drivers') or []):
        kind = driver.get('type') if isinstance(driver, dict) else None
        if kind not in DRIVER_EXECUTABLES:
            raise ValueError(f'drivers[{index}]: unknown driver type {kind!r}')
        nodes.append((f'driver_{index}_{kind}', DRIVER_EXECUTABLES[kind], index))
    return nodes


def runs_trainer(config):
    """PETS learns online: its robot stack has a trainer; other controllers do not."""
    controller = config.get('controller')
    return isinstance(controller, dict) and controller.get('type') == 'pets'


def param_value(value):
    """A parameter value as a `-p name:=value` argument (rcl parses it as YAML)."""
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value)
    return "''" if text == '' else text


def launch_ros_arguments(name, use_sim_time, extra=None):
    """Launch-time parameters as --ros-args `-p` rules, not as a launch_ros parameters dict.

    launch_ros writes a dict to a params file keyed by the fully qualified node name
    ('/controller', '/cp/controller'), and rclnodejs matches overrides only by '/**' and the
    bare node name, so it would ignore them. `-p use_sim_time:=...` is global ('/**': every
    node of the process, as the robot process needs); the node's own values are
    `-p <name>:<param>:=...`, which win over the '/**' section of the params file. The params
    files therefore set neither use_sim_time nor what the launch files set per node.
    """
    args = ['-p', f'use_sim_time:={param_value(use_sim_time)}']
    for key, value in (extra or {}).items():
        if not name:
            raise ValueError(f'per-node parameter {key!r} needs a node name')
        args += ['-p', f'{name}:{key}:={param_value(value)}']
    return args


def stack_node(
    executable, name, *, namespace, robot_config, params_file, use_sim_time, extra=None, ros_arguments=None, **options
):
    """A launch_ros Node running one of this package's wrappers on a robot config (`--config`,
    which wins over the robot_config parameter), with the params file and the launch-time
    parameters as `-p` rules (launch_ros_arguments); `options` (prefix) pass through."""
    from launch_ros.actions import Node  # imported here: only launch files need launch_ros

    return Node(
        package=PACKAGE,
        executable=executable,
        name=name,
        namespace=namespace,
        arguments=['--config', robot_config],
        parameters=[params_file] if params_file else [],
        ros_arguments=[*(ros_arguments or []), *launch_ros_arguments(name, use_sim_time, extra)],
        output='screen',
        emulate_tty=True,
        **options,
    )
