import os

from django.core.wsgi import get_wsgi_application

from daicho import config

# Before Django opens the database: files the server creates are its owner's alone.
config.private_process()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "daicho.settings")
application = get_wsgi_application()
