# Production image of the apprenticeship data hub.
#   docker build -t hub .
#   docker run -e HUB_ENV=production -e HUB_DATABASE_URL=postgresql+asyncpg://hub:...@db/hub \
#              -e HUB_KEY_PEPPER=... -e HUB_IDENTITY_HASH_KEY=... -e HUB_IDENTITY_ENCRYPTION_KEY=... \
#              -p 8000:8000 hub
# In production the hub refuses to start without HUB_DATABASE_URL and real secrets (README).

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY graphql_schema ./graphql_schema
COPY migrations ./migrations
RUN python -m venv /opt/hub \
 && /opt/hub/bin/pip install --upgrade pip \
 && /opt/hub/bin/pip install .

FROM python:3.11-slim
ENV PATH=/opt/hub/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HUB_ENV=production \
    HUB_DERIVATION=deferred \
    HUB_DATA_DIR=/var/lib/hub
RUN groupadd --system hub && useradd --system --gid hub --home-dir /var/lib/hub --create-home hub
COPY --from=build /opt/hub /opt/hub
WORKDIR /var/lib/hub
USER hub
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=2).status == 200 else 1)"
# `hub serve` migrates (under an advisory lock) and then runs uvicorn with N worker processes.
CMD ["hub", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
