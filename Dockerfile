# syntax=docker/dockerfile:1
# The image host (examples/image-host) in a container. The build context is the repository root:
#   docker build -t imgstash-image-host .
#   docker run --rm -p 8080:8080 --env-file .env imgstash-image-host
# See docs/deploy/docker.md.
ARG NODE_VERSION=22

# --- build: install the workspace, build the packages, bundle the image host -------------
FROM node:${NODE_VERSION}-bookworm-slim AS build
# pnpm from the npm registry, at the version package.json pins (no corepack).
RUN npm install --global pnpm@12.4.2
WORKDIR /repo
# The dependencies, from the lockfile alone: this layer is reused until the lockfile changes.
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
RUN pnpm fetch
COPY . .
RUN pnpm install --frozen-lockfile --offline
RUN pnpm run build
# pnpm deploy --prod: server.js, its production dependencies and the built imgstash packages,
# in one directory with no link outside it.
RUN pnpm bundle:image-host /out

# --- run: Node and the bundle, nothing else ------------------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim
ENV NODE_ENV=production \
    PORT=8080 \
    DATA_DIR=/data
WORKDIR /app
# Owned by root and read-only to the app; only the fs store's directory is writable.
COPY --from=build /out /app
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 8080
# No curl in slim images: Node probes /healthz itself (503 once shutdown has begun).
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
# node itself is PID 1 and handles SIGTERM (drain, then exit); never `npm start`/`pnpm start`,
# which do not pass the signal on. It starts no child processes, so it needs no init to reap
# them (`docker run --init` adds tini if you want one anyway).
CMD ["node", "server.js"]
