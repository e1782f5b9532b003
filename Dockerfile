# The Residency Scheduler image (deploy/docker-compose.yml builds it as `backend` and `worker`):
# the runtime dependencies exactly as locked in uv.lock, no development tools, a non-root user.
#
#   docker build -t residency-scheduler:1.0.0 .
#   docker run -e JWT_SECRET=... -e TRUSTED_HOSTS=... -p 8000:8000 residency-scheduler:1.0.0
#
# Configuration is the environment (docs/configuration.md): ENVIRONMENT=production needs
# JWT_SECRET and TRUSTED_HOSTS, and nothing secret is built into the image.

FROM python:3.11-slim AS build

# The uv of the Makefile (UV_VERSION); the project's environment goes to /opt/venv.
RUN pip install --no-cache-dir --disable-pip-version-check uv==0.13.8
ENV UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy
WORKDIR /src

# Dependencies first (a layer that changes only with the lock), then the project itself,
# installed as a package (not editable): the image does not need the sources beside it.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
COPY README.md ./
COPY app ./app
RUN uv sync --frozen --no-dev --no-editable


FROM python:3.11-slim

RUN useradd --system --uid 10001 --user-group --home-dir /srv/residency-scheduler scheduler \
    && mkdir -p /srv/residency-scheduler/data /var/log/residency-scheduler \
    && chown -R scheduler:scheduler /srv/residency-scheduler /var/log/residency-scheduler

COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOST=0.0.0.0 \
    PORT=8000

WORKDIR /srv/residency-scheduler
USER scheduler
EXPOSE 8000

HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('PORT', '8000'), timeout=3)"]

# Bring the database (DATABASE_URL) to the newest schema, then serve; `exec` makes the server
# PID 1, so `docker stop` reaches it and it shuts down cleanly (last push, span flush).
CMD ["sh", "-c", "residency-scheduler migrate && exec residency-scheduler serve"]
