"""Main file for NiceGUI's `user` fixture: builds the real app on the settings the UI conftest put in the env."""

from nicegui import ui

from app.config import load_settings
from pages.server import build

build(load_settings())
ui.run(reload=False, show=False)
