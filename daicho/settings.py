"""Django settings. Everything configurable comes from the environment (see daicho.environment)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

from daicho import auth_ldap, environment
from daicho.dates.localtime import TOKYO

BASE_DIR = Path(__file__).resolve().parent
# django-ninja's template and files for the API's documentation page (daicho.api.docs), found
# without importing it: an installed app would be imported by every command-line run.
_NINJA_SPEC = importlib.util.find_spec("ninja")
assert _NINJA_SPEC is not None and _NINJA_SPEC.origin is not None
_NINJA_DIR = Path(_NINJA_SPEC.origin).parent
DATA_DIR = environment.data_dir()
# Shared by every server of one installation (DAICHO_FILES_DIR, docs/scale.md).
FILES_DIR = environment.files_dir()
ATTACHMENTS_DIR = FILES_DIR / "attachments"

SECRET_KEY = environment.secret_key()
DEBUG = os.environ.get("DAICHO_DEBUG") == "1"
ALLOWED_HOSTS = environment.allowed_hosts() + (["testserver"] if os.environ.get("DAICHO_TESTING") else [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "daicho.apps.DaichoConfig",
    "daicho.web.apps.WebConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "daicho.web.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "daicho.web.middleware.AdminNetworkMiddleware",
    # Reads of ledgers marked sensitive are logged here, whichever page or endpoint made them.
    "daicho.services.audit.SensitiveReadsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "daicho.web.middleware.DatabaseBusyMiddleware",
]

ROOT_URLCONF = "daicho.urls"
WSGI_APPLICATION = "daicho.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [_NINJA_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]


def _database() -> dict[str, Any]:
    db = environment.database()
    if db.vendor == "sqlite":
        return {
            "ENGINE": "daicho.db.sqlite",  # Django's, with the lock keeper
            "NAME": db.name,
            # Each request thread keeps its connection: a new one per request parsed the whole
            # schema and warmed its page cache again, up to half a list page's time (issue 19).
            "CONN_MAX_AGE": 60,
            "OPTIONS": {
                # IMMEDIATE: a writer takes the lock at BEGIN, so two writers never deadlock
                # upgrading a read lock; WAL lets readers run beside the writer.
                "transaction_mode": "IMMEDIATE",
                "timeout": environment.lock_timeout(),
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA cache_size=-65536;"
                    "PRAGMA temp_store=MEMORY;"
                    "PRAGMA mmap_size=1073741824;"
                    # after a WAL reset the file is cut back to this size (daicho.db.sqlite.keeper)
                    "PRAGMA journal_size_limit=67108864;"
                ),
            },
            # ":memory:" rather than None: pytest-django recognises an in-memory test database by
            # that name once the ENGINE is not Django's own module path.
            "TEST": {"NAME": os.environ.get("DAICHO_TEST_SQLITE_NAME") or ":memory:"},
        }
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": db.name,
        "USER": db.user,
        "PASSWORD": db.password,
        "HOST": db.host,
        "PORT": db.port,
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        # A lock held longer than this ends the waiting request with 503 (daicho.db.transient)
        # instead of hanging it, as SQLite's busy timeout does.
        "OPTIONS": {"options": f"-c lock_timeout={int(environment.lock_timeout() * 1000)}"},
        "TEST": {"TEMPLATE": "template0", "CHARSET": "UTF8"},
    }


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Sign-in against LDAP / Active Directory when DAICHO_LDAP_URI is set (docs/permissions.md): the
# directory first, then local accounts, which keep working beside it.
DAICHO_LDAP = auth_ldap.from_env()
AUTHENTICATION_BACKENDS = [*([auth_ldap.BACKEND] if DAICHO_LDAP else []),
                           "daicho.services.signin.GuardedBackend"]
# Who must sign in with a second factor (DAICHO_2FA_ADMINS, DAICHO_2FA_ROLES), and the networks the
# administration screens and privileged accounts are bound to (DAICHO_ADMIN_NETWORKS,
# DAICHO_ADMIN_NETWORK_ROLES): docs/permissions.md.
DAICHO_2FA = environment.two_factor()
DAICHO_ADMIN_NETWORKS = environment.admin_networks()
DAICHO_ADMIN_NETWORK_ROLES = environment.admin_network_roles()
# Webhook URLs may point into these networks although they are not public (docs/api.md, "Webhooks").
DAICHO_WEBHOOK_ALLOWED_NETWORKS = environment.webhook_allowed_networks()
SESSION_COOKIE_AGE = 8 * 60 * 60  # a working day; sign in again after that
SESSION_SAVE_EVERY_REQUEST = False

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if os.environ.get("DAICHO_TESTING"):
    # Argon2 is deliberately slow; tests create hundreds of users.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]

# The password policy (contract §10, daicho.services.passwords): at least 12 characters, not like
# the login or the name, not a common password, not only digits.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "daicho.services.passwords.LoginOrNameValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = TOKYO.key
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = None  # served from the package by WhiteNoise finders; no collectstatic
STATICFILES_DIRS: list[Path] = [_NINJA_DIR / "static"]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Bounded input: no request body may exhaust memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Larger uploads are received into the data dir's own temp folder (0700), never the shared /tmp.
FILE_UPLOAD_TEMP_DIR = str(environment.temp_dir())
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

DAICHO: dict[str, Any] = {
    "MAX_FIELDS_PER_LEDGER": 500,
    "MAX_TEXT_LENGTH": 100_000,
    "MAX_PAGE_SIZE": 500,
    "MAX_BULK_ITEMS": 1000,
    "MAX_FILE_BYTES": 50 * 1024 * 1024,
    "MAX_JSON_DEPTH": 32,
    # Overrides of daicho.importing.Limits (file size, cells, columns, rows, cell length).
    "IMPORT_LIMITS": {},
    # Ledgers from this many records get two-column indexes for the (group, number) pairs they
    # are summed by and the (filter, sort) pairs they are listed by (daicho.db.schema).
    "PAIR_INDEX_MIN_RECORDS": 20_000,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
