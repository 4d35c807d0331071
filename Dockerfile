# syntax=docker/dockerfile:1
# The operator image: `docker build -t sagemaker-inference-operator:$(VERSION) .`
# The base is pinned by tag; pin it by digest too (python:3.12.12-slim-bookworm@sha256:...) in
# your registry mirror for fully reproducible builds.
ARG PYTHON_IMAGE=python:3.12.12-slim-bookworm

# --- builder: build the wheel and install it with its dependencies into a venv --------------------
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY operator ./operator
# The venv gets no pip of its own: the base image's pip installs into it (--python), so the final
# image carries no package installer.
RUN python -m venv --without-pip /opt/venv \
 && pip wheel --no-deps --wheel-dir /tmp/dist . \
 && pip --python /opt/venv/bin/python install /tmp/dist/*.whl \
 && /opt/venv/bin/python -m compileall -q /opt/venv

# --- final: the venv on a clean base, running as a non-root user ------------------------------------
FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="sagemaker-inference-operator" \
      org.opencontainers.image.description="Kubernetes operator for Amazon SageMaker inference components and experiments" \
      org.opencontainers.image.licenses="Apache-2.0"
# A named user for the numeric id the Helm chart runs as (runAsUser 65532), so tools that look the
# user up (getpass, botocore's home-directory config) find one.
RUN groupadd --gid 65532 operator \
 && useradd --uid 65532 --gid 65532 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin operator
COPY --from=builder /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp
# Numeric, so the kubelet can verify runAsNonRoot without reading /etc/passwd.
USER 65532:65532
# kopf liveness (--liveness http://0.0.0.0:8080/healthz) and Prometheus metrics (--metrics-port 9090).
EXPOSE 8080 9090
ENTRYPOINT ["sagemaker-operator", "run"]
