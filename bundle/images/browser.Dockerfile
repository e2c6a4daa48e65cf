# The `onsite-browser` image: the same binary plus Debian's Chromium, for
# the `onsite browser` sidecar. Chromium comes from Debian, never downloaded
# by puppeteer.
FROM debian:bookworm-slim

ARG ONSITE_VERSION=dev
ARG ONSITE_REVISION=unknown
LABEL org.opencontainers.image.title="onsite-browser" \
      org.opencontainers.image.description="Onsite browser sidecar: pooled headless Chromium behind an SSRF guard" \
      org.opencontainers.image.version="${ONSITE_VERSION}" \
      org.opencontainers.image.revision="${ONSITE_REVISION}" \
      org.opencontainers.image.vendor="Onsite" \
      org.opencontainers.image.licenses="LicenseRef-Onsite-Commercial"

RUN apt-get update \
 && apt-get install -y --no-install-recommends chromium fonts-liberation ca-certificates \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* \
 && groupadd --system --gid 10002 onsite \
 && useradd --system --uid 10002 --gid 10002 --home-dir /tmp --shell /usr/sbin/nologin onsite

COPY onsite /usr/local/bin/onsite

# HOME on /tmp: with a read-only root, Chromium's profile and crash folders live on the tmpfs.
ENV CHROME_PATH=/usr/bin/chromium \
    HOME=/tmp \
    NODE_ENV=production
USER 10002:10002
WORKDIR /tmp
EXPOSE 9020
ENTRYPOINT ["/usr/local/bin/onsite"]
CMD ["browser"]
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/onsite", "healthcheck", "--auth-env", "BROWSER_SERVICE_AUTH_TOKEN", "http://127.0.0.1:9020/health"]
