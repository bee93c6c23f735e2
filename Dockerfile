# Saring production image: one process serving the webhook, the inbox worker and the daily
# retention purge. docs/production.md is the runbook; docker-compose.yml wires it to PostgreSQL.
#
# The project is installed in editable mode from /app on purpose: bot/settings.py looks for
# config/ and bot/db/migrate.py for alembic/ next to the bot/ package, i.e. in the checkout.
# A plain `pip install .` would copy bot/ into site-packages and lose both.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SARING_LISTEN=0.0.0.0:8080

WORKDIR /app

# Dependencies first, from pyproject.toml alone, so a code change does not reinstall them.
COPY pyproject.toml README.md ./
RUN mkdir bot && touch bot/__init__.py \
    && pip install -e . \
    && rm -rf bot saring.egg-info

COPY . .
RUN pip install --no-deps -e . \
    && python -m compileall -q bot \
    && test -f config/rules.yaml && test -f alembic/env.py

# A non-root user whose home is writable (the SQLite default lives there when no
# SARING_DATABASE_URL is given); the code itself stays owned by root and read-only to it.
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/saring saring
USER saring

EXPOSE 8080

# /healthz answers while the event loop runs; /readyz (database, rules, backlog) is for the
# load balancer. The port follows SARING_LISTEN.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; port = os.environ.get('SARING_LISTEN', ':8080').rpartition(':')[2]; urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=4)"]

CMD ["saring", "run", "--webhook"]
