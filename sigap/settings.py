"""Django settings for SIGAP.

Everything a deployment changes comes from the environment (12-factor); the defaults run the
demo on SQLite with no server.
"""

import os
from pathlib import Path

import dj_database_url
import xstatic.pkg.leaflet as xstatic_leaflet
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("SIGAP_VAR_DIR", BASE_DIR.parent / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("SIGAP_DEBUG", False)
# The demo key is published: `sigap serve` refuses it unless it serves the demo (`--demo`),
# and `check --deploy` reports it.
DEMO_SECRET_KEY = "sigap-demo-only-change-me-in-production-0123456789"  # noqa: S105
SECRET_KEY = os.environ.get("SIGAP_SECRET_KEY", DEMO_SECRET_KEY)
# A deployment with its own key is taken to be production: HTTPS settings default on.
PRODUCTION = SECRET_KEY != DEMO_SECRET_KEY
ALLOWED_HOSTS = os.environ.get("SIGAP_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("SIGAP_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    # django-ninja renders /api/docs with its own bundled Swagger UI files (no CDN)
    "ninja",
    "sigap.core",
    "sigap.regions",
    "sigap.facilities",
    "sigap.beds",
    "sigap.emergency",
    "sigap.referrals",
    "sigap.homecare",
    "sigap.coverage",
    "sigap.nutrition",
    "sigap.access",
    "sigap.monitoring",
    "sigap.fhir",
    "sigap.demo",
    "django_tasks_db",
    "django_prometheus",
]

MIDDLEWARE = [
    # request metrics wrap everything; the request id is bound before any log line
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "sigap.core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "sigap.core.middleware.IndonesianFirstLocaleMiddleware",
    "sigap.core.middleware.RefuseBadInputMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "axes.middleware.AxesMiddleware",
    "sigap.core.middleware.SessionIdleTimeoutMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "sigap.urls"
WSGI_APPLICATION = "sigap.wsgi.application"
AUTH_USER_MODEL = "core.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "beds:board"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "sigap.core.context_processors.sigap",
            ],
        },
    },
]

# --- database: SQLite (WAL) by default, PostgreSQL through DATABASE_URL ---
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'sigap.sqlite3'}", conn_max_age=600, conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the public board read while hospitals write; IMMEDIATE avoids
        # lock-upgrade deadlocks between two writers.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file (not :memory:) so that live-server threads share it; one per process so that
    # parallel test runs do not collide.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-sigap-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # ASVS 2.1.1: at least 12 characters.
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failed-login throttling: 5 failures per username+IP lock that pair for 15 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("SIGAP_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "core/locked_out.html"
AXES_VERBOSE = False
# ...and failures from one address over any usernames lock that address (password spraying).
SIGAP_LOGIN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("SIGAP_LOGIN_ADDRESS_FAILURE_LIMIT", "10"))
# Sessions end after this many minutes without a request, and in any case after the absolute
# age (NIST 800-63B AAL2: 30 minutes idle, 12 hours).
SIGAP_SESSION_IDLE_MINUTES = int(os.environ.get("SIGAP_SESSION_IDLE_MINUTES", "30"))
SESSION_COOKIE_AGE = int(os.environ.get("SIGAP_SESSION_HOURS", "12")) * 3600

# --- language and time: Bahasa Indonesia first, English second; stored UTC, shown local ---
LANGUAGE_CODE = "id"
LANGUAGES = [("id", "Bahasa Indonesia"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = os.environ.get("SIGAP_TIME_ZONE", "Asia/Jakarta")

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
# Leaflet is served from the xstatic package: no CDN, the map works on a closed network.
STATICFILES_DIRS = [("leaflet", xstatic_leaflet.BASE_DIR)]

# --- security headers ---
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SIGAP_HTTPS", PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = 31536000 if SESSION_COOKIE_SECURE else 0
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto.
if env_bool("SIGAP_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    # Map tiles come from a tile server the deployment configures (SIGAP_TILE_URL).
    "img-src": [CSP.SELF, "data:", *filter(None, [os.environ.get("SIGAP_TILE_ORIGIN")])],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

# Background work (SLA escalation, webhook retries, big imports): Django's tasks API with the
# database-backed worker of django-tasks-db; `sigap serve` starts `sigap worker` beside gunicorn.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

# Cache shared by every app process and server (rate limits, throttling): Redis through
# Django's built-in backend when REDIS_URL is set, otherwise a table in the database
# (`sigap_cache`, created by core's migration 0004). Never per-process memory.
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": "sigap",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "sigap_cache",
            "KEY_PREFIX": "sigap",
            # expired rows are purged once the table passes this size
            "OPTIONS": {"MAX_ENTRIES": int(os.environ.get("SIGAP_CACHE_MAX_ENTRIES", 100_000))},
        }
    }

# Outbound notification channels (sigap.core.notify). The demo logs SMS/WhatsApp to the
# console; production points them at a gateway: {"BACKEND": "sigap.core.notify.HttpGatewayBackend",
# "ENDPOINT": "<name of a WebhookEndpoint>"}.
_SMS_GATEWAY = os.environ.get("SIGAP_SMS_GATEWAY_ENDPOINT", "")
_GATEWAY = {"BACKEND": "sigap.core.notify.HttpGatewayBackend", "ENDPOINT": _SMS_GATEWAY}
_CONSOLE = {"BACKEND": "sigap.core.notify.ConsoleBackend"}
SIGAP_NOTIFY_CHANNELS = {
    "sms": _GATEWAY if _SMS_GATEWAY else _CONSOLE,
    "whatsapp": _GATEWAY if _SMS_GATEWAY else _CONSOLE,
    "webhook": {"BACKEND": "sigap.core.notify.WebhookBackend"},
}

# --- operations (sigap.core.ops, sigap.core.logs; README "Operations") ---
# json: one JSON object per line (production, log shippers); text: the demo console.
SIGAP_LOG_FORMAT = os.environ.get("SIGAP_LOG_FORMAT", "text").lower()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "sigap.core.logs.RequestIdFilter"}},
    "formatters": {
        "text": {"()": "sigap.core.logs.TextFormatter"},
        "json": {"()": "sigap.core.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "json" if SIGAP_LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("SIGAP_LOG_LEVEL", "WARNING")},
}
# /metrics: a bearer token, or callers from these addresses (not through a proxy)
SIGAP_METRICS_TOKEN = os.environ.get("SIGAP_METRICS_TOKEN", "")
SIGAP_METRICS_ALLOW = os.environ.get("SIGAP_METRICS_ALLOW", "127.0.0.1/32,::1/128")
# /readyz also wants a recent worker heartbeat (off by default: a stopped worker should not
# take every app server out of the load balancer; turn on where readiness means "all of it")
SIGAP_WORKER_EXPECTED = env_bool("SIGAP_WORKER_EXPECTED", False)
SIGAP_WORKER_HEARTBEAT_MAX_SECONDS = int(os.environ.get("SIGAP_WORKER_HEARTBEAT_MAX_SECONDS", "60"))
# probes and scrapes over plain http to the app port are not redirected to https
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
# `sigap backup` writes here unless --output is given
SIGAP_BACKUP_DIR = Path(os.environ.get("SIGAP_BACKUP_DIR", VAR_DIR / "backups"))

# --- SIGAP's own settings ---
# Area the deployment serves (Kemendagri code): drives maps, time zone and the demo.
SIGAP_AREA_CODE = os.environ.get("SIGAP_AREA_CODE", "3374")
# Bed data older than this is flagged stale on the public board.
SIGAP_BED_STALE_AFTER_MINUTES = int(os.environ.get("SIGAP_BED_STALE_AFTER_MINUTES", "360"))
# Nutrition: a prevalence over fewer children than this is shown as "too few to judge".
SIGAP_NUTRITION_MIN_DENOMINATOR = int(os.environ.get("SIGAP_NUTRITION_MIN_DENOMINATOR", "30"))
# Map tiles: empty means no external tiles (closed network); the map then shows region
# outlines and markers only.
SIGAP_TILE_URL = os.environ.get("SIGAP_TILE_URL", "")
# Travel time: haversine x circuity / speed by time of day (see sigap.core.travel).
# (start hour local, end hour local, km/h)
_CAR_KMH = [(0, 6, 40.0), (6, 9, 22.0), (9, 16, 28.0), (16, 19, 20.0), (19, 24, 32.0)]
_MOTORBIKE_KMH = [(0, 6, 42.0), (6, 9, 30.0), (9, 16, 32.0), (16, 19, 28.0), (19, 24, 35.0)]
SIGAP_TRAVEL = {
    "circuity": float(os.environ.get("SIGAP_TRAVEL_CIRCUITY", "1.35")),
    "speed_profile": _CAR_KMH,
    "default_kmh": 28.0,
    # named modes (access analysis); a mode not listed is refused. Motorbikes weave through
    # the peak-hour traffic that slows cars (assumed figures; override per deployment).
    "modes": {
        "car": {
            "speed_profile": _CAR_KMH,
            "default_kmh": 28.0,
        },
        "motorbike": {
            "speed_profile": _MOTORBIKE_KMH,
            "default_kmh": 32.0,
        },
    },
}
# Maximum age of an Aplicare/SIRS X-timestamp, seconds.
SIGAP_SIGNATURE_MAX_SKEW = int(os.environ.get("SIGAP_SIGNATURE_MAX_SKEW", "300"))
# a signed Aplicare/SISRUTE header set is good for a burst from its first address (core.compat)
SIGAP_SIGNATURE_BURST_SECONDS = int(os.environ.get("SIGAP_SIGNATURE_BURST_SECONDS", "60"))
# SIRS X-pass: "password" (what public bridges send) and/or "md5"
SIGAP_SIRS_XPASS_FORMS = tuple(
    f.strip()
    for f in os.environ.get("SIGAP_SIRS_XPASS_FORMS", "password,md5").split(",")
    if f.strip()
)
# Outbound webhooks (sigap.core.webhooks.check_url): https to public addresses only. The
# demo (`make demo`/`make serve`, `sigap simulate emergency`) and tests turn on loopback
# (and plain http to loopback only) for their simulated partners; never in production.
SIGAP_WEBHOOK_ALLOW_LOOPBACK = env_bool("SIGAP_WEBHOOK_ALLOW_LOOPBACK", False)
# Internal networks an admin trusts as webhook targets (e.g. "10.0.5.20/32" for an SMS
# gateway), comma-separated CIDRs; https is still required.
SIGAP_WEBHOOK_TRUSTED_NETWORKS = [
    n for n in os.environ.get("SIGAP_WEBHOOK_TRUSTED_NETWORKS", "").split(",") if n.strip()
]
# Referrals: minutes a hospital has to answer, per urgency; hours before an accepted
# referral whose patient never arrived expires.
SIGAP_REFERRAL_ANSWER_MINUTES = {
    "emergency": int(os.environ.get("SIGAP_REFERRAL_EMERGENCY_MINUTES", "15")),
    "elective": int(os.environ.get("SIGAP_REFERRAL_ELECTIVE_MINUTES", str(24 * 60))),
}
SIGAP_REFERRAL_ARRIVAL_HOURS = int(os.environ.get("SIGAP_REFERRAL_ARRIVAL_HOURS", "24"))
