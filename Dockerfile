# Nyx Venatrix: bot, worker or both (`nyx run`), with Debian's Chromium driven headed under Xvfb.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        chromium \
        xvfb \
        xauth \
        fonts-liberation \
        tini \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 --user-group --shell /usr/sbin/nologin nyx \
    && mkdir -p /data \
    && chown nyx:nyx /data

WORKDIR /app

# Dependencies first, in their own layer, so that a code change does not reinstall browser-use & co:
# exactly the versions of requirements.lock, each checked against its hash.
# A known pip first (the same as scripts/setup's): older ones refuse a hashed lock whose packages ask
# for extras (google-auth[requests]).
COPY requirements.lock ./
RUN pip install "pip==26.3" \
    && pip install --require-hashes -r requirements.lock

COPY . .
RUN pip install --no-deps . \
    && rm -rf build *.egg-info

# IN_DOCKER makes browser-use pass Chromium the flags a container needs (no /dev/shm); Chromium keeps
# its sandbox (see docs/deployment.md, "Chromium's sandbox").
# DATA_DIR holds the embedded PostgreSQL/Redis of a plain `docker run`: mount a volume on /data.
# METRICS_PORT: /healthz, /readyz and /metrics on the container's loopback, for the health check below.
ENV CHROME_PATH=/usr/bin/chromium \
    HEADLESS=false \
    IN_DOCKER=true \
    ANONYMIZED_TELEMETRY=false \
    DATA_DIR=/data \
    METRICS_HOST=127.0.0.1 \
    METRICS_PORT=9100 \
    HOME=/home/nyx

USER nyx
WORKDIR /home/nyx

# Ready = PostgreSQL, Redis and Telegram answer this process (nyx bot, worker and run alike). A first
# start may run initdb for the embedded PostgreSQL: hence the start period. `nyx migrate` exits at once.
HEALTHCHECK --interval=30s --timeout=10s --start-period=90s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('METRICS_PORT', '9100')}/readyz\", timeout=8)"]

# The virtual screen for headed Chromium: Xvfb in the background, then the shell becomes nyx. tini
# hands `docker stop`'s SIGTERM to nyx alone, so nyx finishes its shutdown with the screen still up and
# its exit status is the container's (under xvfb-run, the group's SIGTERM also killed Xvfb, and
# xvfb-run then exited 1 after every clean stop); tini reaps Xvfb. DISPLAY is the image's, so that
# `docker compose exec worker nyx fill …` draws on the same screen.
ENV DISPLAY=:99
ENTRYPOINT ["/usr/bin/tini", "--", "sh", "-c", "Xvfb :99 -screen 0 1280x1024x24 -nolisten tcp >/dev/null 2>&1 & exec nyx \"$@\"", "nyx"]
CMD ["run"]
