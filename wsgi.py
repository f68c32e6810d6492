"""WSGI entry for gunicorn: `gunicorn -c checkout/gunicorn_conf.py wsgi:app`."""

from dotenv import load_dotenv

load_dotenv()

from checkout import create_app  # noqa: E402

app = create_app()
