"""TavernAI Plus core: configuration, database, services and REST API (importable without NiceGUI)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version('tavernai-plus')
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = '0.1.0'
