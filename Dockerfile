# UPI Checkout — production image (runtime dependencies only).
# Build: docker build -t upi-checkout .     Run with MongoDB: docker compose up
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Unprivileged user that runs the server; the code itself stays owned by root (read-only to it).
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app

# Runtime requirements only; requirements-dev.txt never enters the image.
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY app.py wsgi.py ./
COPY checkout/ checkout/
COPY templates/ templates/
COPY static/ static/

# LOG_DIR defaults to ./logs; the only place the app writes.
RUN mkdir -p /app/logs && chown app:app /app/logs

USER app

# WEB_CONCURRENCY: gunicorn worker processes (checkout/gunicorn_conf.py reads it through the
# gateway's settings). Rate limits need shared counters (RATELIMIT_STORAGE_URI) with more than one.
ENV APP_ENV=production \
    PORT=3001 \
    WEB_CONCURRENCY=2

EXPOSE 3001

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:3001/health', timeout=4)"]

# checkout/gunicorn_conf.py sets the worker count from WEB_CONCURRENCY, redacts gunicorn's own
# logs, and starts the ticker in each worker. Run it behind a reverse proxy (docker-compose.yml).
CMD ["gunicorn", "-k", "gthread", "--threads", "8", "--bind", "0.0.0.0:3001", "-c", "checkout/gunicorn_conf.py", "wsgi:app"]
