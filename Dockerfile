# TavernAI Plus in one container. Build: docker build -t tavernai-plus .
# Run: docker run -p 8080:8080 -v tavern-data:/data tavernai-plus
FROM python:3.11-slim-bookworm

# A C/C++ tool chain, so every dependency (and native ones added later, e.g. llama-cpp-python) can build from source.
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential cmake \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    TAVERN_DATA_DIR=/data \
    CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"

WORKDIR /app
COPY pyproject.toml README.md ./
COPY app ./app
COPY pages ./pages
COPY components ./components
COPY plugins ./plugins
COPY data ./data
RUN pip install .

RUN useradd --create-home --uid 1000 tavern \
    && mkdir -p /data \
    && chown tavern:tavern /data
USER tavern
WORKDIR /home/tavern
VOLUME ["/data"]

EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('TAVERN_PORT', '8080') + '/healthz', timeout=4)"

CMD ["tavern", "serve", "--host", "0.0.0.0"]
