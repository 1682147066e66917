"""Vizorch settings. Everything an operator changes comes from the environment; the defaults are
the embedded ones that `make run` needs (SQLite, in-memory channel layer, local DuckDB, offline
model). See README.md for the table of variables."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from core.config import (
    channel_layers,
    database_config,
    env_bool,
    env_int_or_json_object,
    env_json_object,
    env_list,
    secret_key,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VIZORCH_VAR_DIR") or BASE_DIR / "var")
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool(os.environ.get("DEBUG"), default=True)
SECRET_KEY = secret_key(os.environ.get("SECRET_KEY"), debug=DEBUG, var_dir=VAR_DIR)
ALLOWED_HOSTS = env_list(os.environ.get("ALLOWED_HOSTS")) or (
    ["127.0.0.1", "localhost", "[::1]", "testserver"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env_list(os.environ.get("CSRF_TRUSTED_ORIGINS"))

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # Before `channels`: its `runworker` command is the run worker's (chat.consumers.RunWorker).
    "vizorch_site",
    "channels",
    "django_vite",
    "axes",
    "core",
    "executors",
    "templates_app",
    "chat",
]

MIDDLEWARE = [
    "vizorch_site.errors.ApiErrorBodies",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: it turns a lockout flagged by the axes backend into the lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "vizorch_site.urls"
ASGI_APPLICATION = "vizorch_site.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# On PostgreSQL each process keeps a pool of at most VIZORCH_DB_POOL_SIZE connections; its ORM
# work for runs and streams goes through VIZORCH_DB_THREADS database threads (core/db.py), so
# a worker's needs do not grow with its runs. A deployment needs PostgreSQL `max_connections` of
# at least (daphne processes + run workers) x VIZORCH_DB_POOL_SIZE, plus what else connects
# (docs/deployment.md).
VIZORCH_DB_THREADS = int(os.environ.get("VIZORCH_DB_THREADS", "4"))
VIZORCH_DB_POOL_SIZE = int(os.environ.get("VIZORCH_DB_POOL_SIZE", "10"))
VIZORCH_DB_POOL_TIMEOUT_S = float(os.environ.get("VIZORCH_DB_POOL_TIMEOUT_S", "30"))
DATABASES = {
    "default": database_config(
        os.environ.get("DATABASE_URL"),
        VAR_DIR,
        pool_size=VIZORCH_DB_POOL_SIZE,
        pool_timeout_s=VIZORCH_DB_POOL_TIMEOUT_S,
    )
}
# Keep each connection's SQL in `connection.queries` (with DEBUG on): for debugging only, it costs
# every query (core/query_log.py).
VIZORCH_LOG_QUERIES = env_bool(os.environ.get("VIZORCH_LOG_QUERIES"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Larger bodies are refused with a typed 413 (uploads to the template import have their own limit).
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("VIZORCH_MAX_BODY_BYTES", str(2_621_440)))

REDIS_URL = os.environ.get("REDIS_URL") or None
# Prefix of every Redis key (channels, query slots): several installations can share one Redis.
VIZORCH_CHANNEL_PREFIX = os.environ.get("VIZORCH_CHANNEL_PREFIX") or "vizorch"
CHANNEL_LAYERS = channel_layers(REDIS_URL, VIZORCH_CHANNEL_PREFIX)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Failed sign-ins (the login form, the admin, API tokens) are counted by django-axes per user name
# and client address; past the limit that pair is refused until the cool-off has passed.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "core.auth.ApiTokenBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("VIZORCH_LOGIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=float(os.environ.get("VIZORCH_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "core.auth.attempt_username"
AXES_LOCKOUT_CALLABLE = "core.auth.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
FRONTEND_DIR = BASE_DIR / "frontend"
FRONTEND_DIST = FRONTEND_DIR / "dist"
STATICFILES_DIRS = [FRONTEND_DIST] if FRONTEND_DIST.exists() else []
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve the Vite build straight from frontend/dist (no collectstatic step to forget).
WHITENOISE_USE_FINDERS = True
# Vite fingerprints its assets; whitenoise may cache them forever.
WHITENOISE_IMMUTABLE_FILE_TEST = r"^.+[.-][0-9a-zA-Z_-]{8,12}\..+$"

DJANGO_VITE = {
    "default": {
        "dev_mode": env_bool(os.environ.get("DJANGO_VITE_DEV_MODE")),
        "dev_server_port": int(os.environ.get("VITE_PORT", "5173")),
        "manifest_path": FRONTEND_DIST / "manifest.json",
        "static_url_prefix": "",
    }
}

# Security: sensible in development, strict when DEBUG is off.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool(os.environ.get("SECURE_SSL_REDIRECT"), default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool(os.environ.get("SECURE_HSTS_PRELOAD"), default=False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.channels.server": {"level": "WARNING"}},
}

# --- Vizorch ---------------------------------------------------------------------------------
VIZORCH_REQUIRE_SERVICES = env_bool(os.environ.get("VIZORCH_REQUIRE_SERVICES"))
VIZORCH_LLM = os.environ.get("VIZORCH_LLM") or "offline"
VIZORCH_LLM_BASE_URL = os.environ.get("VIZORCH_LLM_BASE_URL") or None
VIZORCH_LLM_API_KEY = os.environ.get("VIZORCH_LLM_API_KEY") or None

VIZORCH_RESULTS_DIR = Path(os.environ.get("VIZORCH_RESULTS_DIR") or VAR_DIR / "results")
# The demo dataset is generated only at the default path, and only when the file is absent.
VIZORCH_DUCKDB_DEFAULT_PATH = VAR_DIR / "demo.duckdb"
VIZORCH_DUCKDB_PATH = Path(os.environ.get("VIZORCH_DUCKDB_PATH") or VIZORCH_DUCKDB_DEFAULT_PATH)
VIZORCH_DEMO_SCALE = float(os.environ.get("VIZORCH_DEMO_SCALE", "1.0"))
VIZORCH_REMOTE_DUCKDB = env_list(os.environ.get("VIZORCH_REMOTE_DUCKDB"))
VIZORCH_REMOTE_DUCKDB_TOKEN = os.environ.get("VIZORCH_REMOTE_DUCKDB_TOKEN") or None
VIZORCH_SPARK_URL = os.environ.get("VIZORCH_SPARK_URL") or None
VIZORCH_SPARK_TOKEN = os.environ.get("VIZORCH_SPARK_TOKEN") or None
VIZORCH_DEFAULT_ENGINE = os.environ.get("VIZORCH_DEFAULT_ENGINE") or "local"
# Which roles may use an engine, by engine name (e.g. {"spark": ["Analyst", "Curator"]}); an
# engine not named is open to every signed-in user.
VIZORCH_ENGINE_ROLES = env_json_object(os.environ.get("VIZORCH_ENGINE_ROLES"))

# Local DuckDB lock-down and query limits (executors).
VIZORCH_DUCKDB_MEMORY_LIMIT = os.environ.get("VIZORCH_DUCKDB_MEMORY_LIMIT", "1GB")
VIZORCH_DUCKDB_THREADS = int(os.environ.get("VIZORCH_DUCKDB_THREADS", "2"))
VIZORCH_DUCKDB_TEMP_LIMIT = os.environ.get("VIZORCH_DUCKDB_TEMP_LIMIT", "2GB")
# Local statements run in worker processes, each killed beyond this resident memory.
VIZORCH_DUCKDB_WORKERS = int(os.environ.get("VIZORCH_DUCKDB_WORKERS", "2"))
VIZORCH_DUCKDB_WORKER_MEMORY = os.environ.get("VIZORCH_DUCKDB_WORKER_MEMORY", "2GB")
VIZORCH_QUERY_TIMEOUT_S = float(os.environ.get("VIZORCH_QUERY_TIMEOUT_S", "30"))
VIZORCH_MAX_ROWS = int(os.environ.get("VIZORCH_MAX_ROWS", "100000"))
# Statements one user runs at once (across processes with Redis), statements each engine runs at
# once in a process (a number, or a JSON object by engine name with an optional "default"), and
# how long a direct statement (/api/query, template refresh) waits for its turn.
VIZORCH_QUERY_CONCURRENCY = int(os.environ.get("VIZORCH_QUERY_CONCURRENCY", "2"))
VIZORCH_ENGINE_CONCURRENCY = env_int_or_json_object(
    os.environ.get("VIZORCH_ENGINE_CONCURRENCY"), default=4
)
VIZORCH_QUERY_MAX_WAIT_S = float(os.environ.get("VIZORCH_QUERY_MAX_WAIT_S", "10"))
VIZORCH_RESULT_SMALL_ROWS = int(os.environ.get("VIZORCH_RESULT_SMALL_ROWS", "50000"))
VIZORCH_RESULT_SMALL_BYTES = int(os.environ.get("VIZORCH_RESULT_SMALL_BYTES", str(16 * 2**20)))
VIZORCH_RESULT_TTL_HOURS = float(os.environ.get("VIZORCH_RESULT_TTL_HOURS", "168"))
# A result's Arrow data beyond this is cut (truncated); its JSON form beyond the next is a 413.
VIZORCH_MAX_RESULT_BYTES = int(os.environ.get("VIZORCH_MAX_RESULT_BYTES", str(256 * 2**20)))
VIZORCH_MAX_JSON_BYTES = int(os.environ.get("VIZORCH_MAX_JSON_BYTES", str(64 * 2**20)))
# The ISO 4217 code of the money the catalog's currency columns hold (result columns, charts).
VIZORCH_CURRENCY = os.environ.get("VIZORCH_CURRENCY", "USD")
# A template's picture of its chart (a PNG the browser's sandbox draws) beyond this is a 413.
VIZORCH_THUMBNAIL_MAX_BYTES = int(os.environ.get("VIZORCH_THUMBNAIL_MAX_BYTES", str(2**20)))
# Stored result files per user and in all (bytes on disk); expired results make room first.
VIZORCH_RESULTS_USER_BYTES = int(os.environ.get("VIZORCH_RESULTS_USER_BYTES", str(2 * 2**30)))
VIZORCH_RESULTS_TOTAL_BYTES = int(os.environ.get("VIZORCH_RESULTS_TOTAL_BYTES", str(20 * 2**30)))
# Statement limits of the SQL guard, checked before any engine sees a statement.
VIZORCH_SQL_MAX_BYTES = int(os.environ.get("VIZORCH_SQL_MAX_BYTES", "100000"))
VIZORCH_SQL_MAX_SET_TERMS = int(os.environ.get("VIZORCH_SQL_MAX_SET_TERMS", "200"))
VIZORCH_SQL_MAX_DEPTH = int(os.environ.get("VIZORCH_SQL_MAX_DEPTH", "100"))
VIZORCH_SQL_MAX_NODES = int(os.environ.get("VIZORCH_SQL_MAX_NODES", "10000"))
# JSON objects mapping an engine name to a list, e.g. {"local": ["orders", "order_items"]}.
VIZORCH_GUARD_ALLOWED_FUNCTIONS = env_json_object(os.environ.get("VIZORCH_GUARD_ALLOWED_FUNCTIONS"))
VIZORCH_GUARD_ALLOWED_TABLES = env_json_object(os.environ.get("VIZORCH_GUARD_ALLOWED_TABLES"))
# The semantic catalog's profile: tables above this many rows are sampled, the whole profile is
# bounded in time, and each process compares an engine's schema with the stored one at most this
# often (a changed schema is profiled again).
VIZORCH_CATALOG_SAMPLE_ROWS = int(os.environ.get("VIZORCH_CATALOG_SAMPLE_ROWS", "1000000"))
VIZORCH_CATALOG_PROFILE_BUDGET_S = float(os.environ.get("VIZORCH_CATALOG_PROFILE_BUDGET_S", "120"))
VIZORCH_CATALOG_SCHEMA_CHECK_S = float(os.environ.get("VIZORCH_CATALOG_SCHEMA_CHECK_S", "60"))
# Sample values, min/max and result previews go to the model unless this is 0.
VIZORCH_LLM_SEND_SAMPLES = env_bool(os.environ.get("VIZORCH_LLM_SEND_SAMPLES"), default=True)
