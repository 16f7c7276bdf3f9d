"""End-to-end tests in a real browser: Debian's Chromium driven by Playwright's sync API against
pytest-django's live server.

Chromium is Debian's package (``apt-get install chromium``), never Playwright's own download. When it
is missing, every test marked ``browser`` is skipped with a reason that says how to get it.

Each test gets a fresh small organisation: the personas of ``jobtro.testing.PersonaTestCase`` (built
by its own ``setUpTestData``, so the e2e tests and the unit tests share one cast), in a transactional
database that the live server's thread can see.

A transactional test ends by flushing every table, including the 98 municipalities the migrations
loaded. Django's ``serialized_rollback`` cannot put them back here: once Playwright runs, its event
loop counts as running in the main thread, so Django hands that thread new connection objects
without the serialized copy. The ``org`` fixture therefore loads the municipalities itself, from
the same list the migration uses.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

# Playwright's sync API runs an event loop in the main thread; Django then refuses database calls
# from the test (its async-safety check), although they are synchronous. This is the usual remedy.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path(os.environ.get("JOBTRO_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MISSING_CHROMIUM = (
    f"Chromium not found at {CHROMIUM}: install Debian's package with `apt-get install chromium` "
    "(or point JOBTRO_CHROMIUM at a Chromium binary); Playwright's own browser download is not used"
)
MISSING_PLAYWRIGHT = "Playwright for Python is not installed: `pip install -r requirements-dev.lock`"
# Long enough for a slow CI machine, short enough that a wrong selector fails fast.
TIMEOUT_MS = 10_000


def _why_no_browser() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return MISSING_PLAYWRIGHT
    if not CHROMIUM.exists():
        return MISSING_CHROMIUM
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip (not fail) every browser test up front when there is no browser to run it in."""
    reason = _why_no_browser()
    if reason is None:
        return
    for item in items:
        if item.get_closest_marker("browser") is not None:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """One headless Chromium for the whole session; each test gets its own context (cookies)."""
    reason = _why_no_browser()
    if reason is not None:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Any, live_server: Any) -> Iterator[Any]:
    """A fresh browser tab as a Danish member of staff would have it: Danish browser, desktop width.
    Its base URL is the live server's, so tests write ``page.goto("/citizens/")``."""
    context = chromium.new_context(
        base_url=live_server.url,
        locale="da-DK",
        timezone_id="Europe/Copenhagen",
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    context.close()


def _load_municipalities() -> None:
    """What migration organisation/0002 loads, unless it is still there."""
    from jobtro.lib.municipalities import all_municipalities
    from jobtro.organisation.models import Municipality

    if Municipality.objects.exists():
        return
    Municipality.objects.bulk_create(
        Municipality(code=m.code, name=m.name, region_code=m.region_code, region=m.region) for m in all_municipalities()
    )


@pytest.fixture
def org(transactional_db: None, settings: Any) -> SimpleNamespace:
    """The personas and their small organisation (see ``jobtro.testing``), committed so that the live
    server sees them. Passwords are hashed with a fast hasher: nine PBKDF2 hashes per test would
    cost seconds and test nothing the browser tests are about."""
    from jobtro.testing import PASSWORD, PersonaTestCase

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    _load_municipalities()
    # A throwaway subclass: setUpTestData creates the rows and keeps them as class attributes.
    holder = type("E2EPersonas", (PersonaTestCase,), {"__module__": __name__})
    holder.setUpTestData()
    return SimpleNamespace(
        password=PASSWORD,
        personas=holder.personas,
        citizen_a=holder.citizen_a,
        citizen_a2=holder.citizen_a2,
        citizen_b=holder.citizen_b,
        citizen_y=holder.citizen_y,
        citizen_moved=holder.citizen_moved,
    )


@pytest.fixture
def log_in(page: Any, org: SimpleNamespace) -> Any:
    """Log in through the real login form (in Danish); returns the tab, on the page the login led to."""

    def log_in_as(persona: str, password: str | None = None) -> Any:
        page.goto("/login/")
        page.get_by_label("Brugernavn").fill(persona)
        page.get_by_label("Adgangskode").fill(password if password is not None else org.password)
        page.locator("main").get_by_role("button", name="Log ind").click()
        page.wait_for_load_state("domcontentloaded")
        return page

    return log_in_as
