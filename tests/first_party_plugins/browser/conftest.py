"""Real-browser flows of first-party plugins: the e2e suite's live server and Chromium, used from this package (its
own package, so the browser closes before the asyncio tests of the other first-party plugin tests run again)."""

from tests.e2e.conftest import browser, live_server, page, pytest_runtest_makereport  # noqa: F401  (shared)
