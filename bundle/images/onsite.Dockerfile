# The `onsite` image: the single binary on Debian's slim base. One image for
# the server and miner roles (and for `onsite init`). Built by
# `npm run bundle` from a context holding only the binary.
FROM debian:bookworm-slim

ARG ONSITE_VERSION=dev
ARG ONSITE_REVISION=unknown
LABEL org.opencontainers.image.title="onsite" \
      org.opencontainers.image.description="Onsite, the self-hosted AI appliance: server and miner roles" \
      org.opencontainers.image.version="${ONSITE_VERSION}" \
      org.opencontainers.image.revision="${ONSITE_REVISION}" \
      org.opencontainers.image.vendor="Onsite" \
      org.opencontainers.image.licenses="LicenseRef-Onsite-Commercial"

# ca-certificates only: for an operator's HTTPS endpoint (ORCH_MODEL_BACKEND=openai).
# No compiler, no package lists left behind.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* \
 && groupadd --system --gid 10001 onsite \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/onsite --shell /usr/sbin/nologin onsite \
 && mkdir -p /var/lib/onsite /var/lib/onsite-miner \
 && chown 10001:10001 /var/lib/onsite /var/lib/onsite-miner

COPY onsite /usr/local/bin/onsite

ENV ONSITE_DATA_DIR=/var/lib/onsite \
    MINER_STATE_DIR=/var/lib/onsite-miner \
    NODE_ENV=production
USER 10001:10001
WORKDIR /var/lib/onsite
EXPOSE 8000
ENTRYPOINT ["/usr/local/bin/onsite"]
CMD ["serve"]
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/onsite", "healthcheck", "http://127.0.0.1:8000/health/live"]
