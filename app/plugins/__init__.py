"""The plugin host (no NiceGUI here): manifests, discovery, the manager that calls hooks with isolation,
install/uninstall of wheels, settings and state storage. Plugins themselves import only `plugins.sdk`."""

from .errors import PluginNotFoundError, PluginRefusedError, PluginStateError
from .manager import LoadedPlugin, PluginManager
from .manifest import Permission, PluginManifest
from .wheel import read_wheel_manifest

__all__ = ['LoadedPlugin', 'Permission', 'PluginManager', 'PluginManifest', 'PluginNotFoundError',
           'PluginRefusedError', 'PluginStateError', 'read_wheel_manifest']
