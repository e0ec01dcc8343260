"""Evaluates launch/*.launch.py without ROS: launch, launch_ros and ament_index_python are
replaced by recording stubs, generate_launch_description() runs, the OpaqueFunction is called
with the declared defaults (plus KEY=VALUE overrides) and what would be launched is printed as
JSON. Used by test/ros/launch-files.test.ts.

    python3 launch_check.py <launch file> [KEY=VALUE ...]
"""

import importlib.util
import json
import sys
import types


class Recorded:
    """Any launch action or substitution: remembers its kind and arguments."""

    def __init__(self, *args, **kwargs):
        self.args = args
        self.kwargs = kwargs

    def describe(self):
        return {'kind': type(self).__name__, **{k: plain(v) for k, v in self.kwargs.items()}}


def plain(value):
    if isinstance(value, Recorded):
        return value.describe()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if hasattr(value, '__iter__') and not isinstance(value, str):
        return [plain(v) for v in value]
    return value


def stub(name, classes, functions=None):
    module = types.ModuleType(name)
    for cls in classes:
        setattr(module, cls, type(cls, (Recorded,), {}))
    for fname, fn in (functions or {}).items():
        setattr(module, fname, fn)
    sys.modules[name] = module
    return module


class LaunchDescription(Recorded):
    pass


launch = stub('launch', [])
launch.LaunchDescription = LaunchDescription
launch.actions = stub(
    'launch.actions',
    ['DeclareLaunchArgument', 'OpaqueFunction', 'IncludeLaunchDescription', 'GroupAction'],
)
launch.substitutions = stub('launch.substitutions', ['LaunchConfiguration', 'PathJoinSubstitution'])
launch.conditions = stub('launch.conditions', ['IfCondition', 'UnlessCondition'])
launch.launch_description_sources = stub(
    'launch.launch_description_sources', ['PythonLaunchDescriptionSource']
)
stub('launch_ros', [])
sys.modules['launch_ros'].actions = stub('launch_ros.actions', ['Node', 'PushRosNamespace'])
stub('ament_index_python', [])
sys.modules['ament_index_python'].packages = stub(
    'ament_index_python.packages',
    [],
    {'get_package_share_directory': lambda pkg: f'<share of {pkg}>'},
)


class Context:
    def __init__(self, configurations):
        self.launch_configurations = configurations


def main():
    path = sys.argv[1]
    overrides = dict(arg.split('=', 1) for arg in sys.argv[2:])
    spec = importlib.util.spec_from_file_location('launch_under_test', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    description = module.generate_launch_description()
    entities = description.args[0]
    arguments = {}
    opaque = []
    for entity in entities:
        kind = type(entity).__name__
        if kind == 'DeclareLaunchArgument':
            arguments[entity.args[0]] = entity.kwargs.get('default_value')
        elif kind == 'OpaqueFunction':
            opaque.append(entity.kwargs['function'])
    configurations = {k: v for k, v in arguments.items() if v is not None}
    configurations.update(overrides)
    launched = []
    for function in opaque:
        launched.extend(plain(function(Context(configurations))))
    json.dump({'arguments': arguments, 'launched': launched}, sys.stdout, indent=1)


if __name__ == '__main__':
    main()
