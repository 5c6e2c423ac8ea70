# Touchstream services image (cluster mode; see docker-compose.yml).
FROM python:3.11-slim-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends openjdk-17-jdk-headless \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . /app
RUN pip install --no-cache-dir -e . \
    && useradd --system --home-dir /data touchstream \
    && mkdir -p /data && chown touchstream /data
# Services listen on 127.0.0.1 unless told otherwise: docker-compose.yml opens the collector
# alone (TOUCHSTREAM_HOST=0.0.0.0); the warehouse owner's query endpoint stays on loopback.
ENV TOUCHSTREAM_HOME=/data
USER touchstream
ENTRYPOINT ["touchstream"]
