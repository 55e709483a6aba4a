"""Entry point for gunicorn: gunicorn wsgi:app"""

from interests import create_app

app = create_app()
