# Touchstream services image (cluster mode; see docker-compose.yml).
FROM python:3.11-slim-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends openjdk-17-jdk-headless \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . /app
RUN pip install --no-cache-dir -e .
ENV TOUCHSTREAM_HOME=/data TOUCHSTREAM_HOST=0.0.0.0
ENTRYPOINT ["touchstream"]
