# syntax=docker/dockerfile:1
#
# The risk-scoring service image: build with `docker build -t risk-scoring:0.1.0 .`
# Three stages: the analyst console's bundle (esbuild, from the dev dependencies), production
# dependencies only, and a runtime that takes both and the files the service runs from
# (package.json, src/, rules/, proto/, models/), running as the unprivileged `node` user. The
# service itself has no build step: Node runs the TypeScript sources as they are (type
# stripping, on by default since Node 22.18), so the image holds exactly what CI tests.
#
# Node 24 LTS, the newest line CI tests on (.ci/run installs node@22 and node@24). Pinned by tag;
# pin the digest too (node:24.21.0-trixie-slim@sha256:...) in a registry you control.
ARG NODE_IMAGE=node:24.21.0-trixie-slim

FROM ${NODE_IMAGE} AS base
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

# The console (src/console/) bundled into dist/console: every asset, nothing fetched at run time.
# esbuild's binary comes with its platform package (@esbuild/linux-x64), so no install script runs.
FROM base AS console
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts && npm cache clean --force
COPY scripts/build-console.mjs ./scripts/build-console.mjs
COPY src/console ./src/console
RUN node scripts/build-console.mjs

# Production dependencies only. No install scripts: none of them needs one (protobufjs's only
# prints a version hint), and it keeps the runtime's node_modules to what the lock file says.
FROM base AS deps
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

FROM base AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    HTTP_PORT=8080 \
    GRPC_PORT=50051
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --chown=root:root package.json ./package.json
COPY --chown=root:root src ./src
COPY --chown=root:root rules ./rules
COPY --chown=root:root proto ./proto
COPY --chown=root:root models ./models
COPY --from=console --chown=root:root /app/dist/console ./dist/console
# The files stay root-owned and read-only to the process; the `node` user (uid 1000) of the base
# image runs it. Numeric, so that Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 8080 50051
# No curl in the slim image: Node's own fetch asks /healthz on the configured HTTP port.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.HTTP_PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node itself is PID 1: main.ts handles SIGTERM and SIGINT (graceful drain), and the service
# starts no child processes, so no init process is needed to reap them. The experimental
# warnings silenced are type stripping's and node:sqlite's (the embedded store).
CMD ["node", "--disable-warning=ExperimentalWarning", "src/main.ts"]
