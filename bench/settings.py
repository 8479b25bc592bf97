"""Settings for the app server under benchmark: SIGAP's own settings plus a bench-only URLconf
that adds the bare-framework baseline view. Never used in production."""

from sigap.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
DEBUG = False

# Static files are served by WhiteNoise from the finders; an empty root keeps it quiet.
STATIC_ROOT = VAR_DIR / "bench" / "static"  # noqa: F405
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
