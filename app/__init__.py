"""TavernAI Plus core: configuration, database, services and REST API (importable without NiceGUI)."""

__version__ = "0.1.0"
