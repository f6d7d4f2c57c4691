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

# Dependencies first, in their own layer, so that a code change does not reinstall browser-use & co.
COPY pyproject.toml ./
RUN mkdir -p bot handlers automation storage scheduler \
    && pip install . \
    && pip uninstall -y nyx-venatrix \
    && rm -rf bot handlers automation storage scheduler build *.egg-info

COPY . .
RUN pip install --no-deps . \
    && rm -rf build *.egg-info

# IN_DOCKER makes browser-use pass Chromium the flags a container needs (no sandbox, no /dev/shm).
# DATA_DIR holds the embedded PostgreSQL/Redis of a plain `docker run`: mount a volume on /data.
ENV CHROME_PATH=/usr/bin/chromium \
    HEADLESS=false \
    IN_DOCKER=true \
    ANONYMIZED_TELEMETRY=false \
    DATA_DIR=/data \
    HOME=/home/nyx

USER nyx
WORKDIR /home/nyx

# xvfb-run's shell dies on SIGTERM without passing it on, and tini would then exit and take nyx down
# mid-shutdown. So the shell ignores TERM (inherited across exec), `env --default-signal` gives nyx
# back the default, and `tini -g` delivers `docker stop`'s SIGTERM to the whole group, nyx included.
ENTRYPOINT ["/usr/bin/tini", "-g", "--", "sh", "-c", "trap '' TERM; exec xvfb-run -a -s \"-screen 0 1280x1024x24\" env --default-signal=TERM nyx \"$@\"", "nyx"]
CMD ["run"]
