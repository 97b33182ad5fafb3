# Stepwise: one image for both apps.
#   API (default):  docker run -p 3000:3000 stepwise            (embedded mode unless TASKS_MODE=distributed)
#   worker:         docker run stepwise node dist/apps/worker/src/main.js
# docker-compose.yml runs both against PostgreSQL, Redis and MinIO.

# ---- build: compile with SWC, then drop dev dependencies --------------------
FROM node:20-bookworm-slim AS build

# better-sqlite3 falls back to a source build (node-gyp) when no prebuilt
# binary can be downloaded.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*

WORKDIR /app
ENV NX_DAEMON=false

# Dependencies first, so that source edits reuse this layer.
# npm install, not npm ci: the lockfile may lack some platform binaries.
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund

COPY . .
RUN npm run build \
  && npm prune --omit=dev --no-audit --no-fund

# ---- runtime -----------------------------------------------------------------
FROM node:20-bookworm-slim AS runtime

# tini as PID 1: Nest's shutdown hooks end by re-raising SIGTERM at the
# process, which the kernel ignores for PID 1; under tini node is not PID 1, so
# `docker stop` ends the API and the worker as soon as their shutdown is done.
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*

ENV NODE_ENV=production
WORKDIR /app

# Application files stay owned by root (read-only for the app); only the
# embedded-mode data directory (DATA_DIR, default ./.data) is writable.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
RUN mkdir -p /app/.data && chown node:node /app/.data

USER node
EXPOSE 3000

# Liveness of the API with Node's fetch (slim images have no curl). The worker
# serves no HTTP: docker-compose.yml gives it its own healthcheck.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/live', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# Both apps handle SIGTERM (Nest shutdown hooks): in-flight steps get their
# grace period (TASKS_SHUTDOWN_GRACE_MS). A command given to `docker run` or
# compose replaces CMD only, so the worker runs under tini too.
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/apps/api/src/main.js"]
