# Test-only image (never shipped): Node 24 plus the Ollama-compatible test
# server and the test site, bundled from test/fixtures. The compose override
# in this folder swaps the ollama service for it.
FROM debian:bookworm-slim
RUN groupadd --system --gid 10009 kit && useradd --system --uid 10009 --gid 10009 --home-dir /app kit
COPY node /usr/local/bin/node
COPY fake-ollama.mjs site.mjs /app/
USER 10009:10009
WORKDIR /app
