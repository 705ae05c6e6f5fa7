import os

from django.core.wsgi import get_wsgi_application

from daicho import environment

# Before Django opens the database: files the server creates are its owner's alone.
environment.private_process()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "daicho.settings")
application = get_wsgi_application()
