# syntax=docker/dockerfile:1
# Multi-stage build: install and build in one stage, run from a slim image as a non-root user.
# The container runs what `pnpm start` runs: the hub's production build, `node apps/hub/dist/main.mjs`
# (scripts/build-hub.mjs: plain JavaScript, no tsx at run time).

FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN npm install -g pnpm@12.18.0
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY patches/ patches/
COPY apps/hub/package.json apps/hub/
COPY apps/dashboard/package.json apps/dashboard/
COPY packages/protocol/package.json packages/protocol/
COPY packages/core/package.json packages/core/
COPY packages/store/package.json packages/store/
COPY packages/sdk/package.json packages/sdk/
COPY packages/langgraph/package.json packages/langgraph/
COPY examples/package.json examples/
COPY bench/package.json bench/
COPY e2e/package.json e2e/
RUN pnpm install --frozen-lockfile
COPY . .
RUN pnpm run build
# Drop build and test tooling (vite, vitest, playwright, typescript, drizzle-kit): production deps only.
# The repository layout is kept, so migrations (drizzle/) and the dashboard resolve as in the tests,
# and the build's package imports (paths into node_modules/.pnpm, fixed by the lockfile) still resolve.
RUN rm -rf node_modules apps/*/node_modules packages/*/node_modules examples/node_modules bench/node_modules e2e/node_modules \
 && pnpm install --frozen-lockfile --prod --filter @agent-hub/hub... \
 && rm -rf e2e bench examples apps/dashboard/src apps/dashboard/node_modules

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0 \
    DATA_DIR=/data \
    MALLOC_MMAP_THRESHOLD_=131072
WORKDIR /app
COPY --from=build --chown=node:node /app /app
WORKDIR /app
RUN mkdir -p /data && chown node:node /data && chmod 700 /data
USER node
EXPOSE 3000
VOLUME ["/data"]
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/livez').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
STOPSIGNAL SIGTERM
# The launch settings (MALLOC_MMAP_THRESHOLD_ above, the two V8 flags) are scripts/hub-launch.mjs's;
# docs/operations.md#memory says why.
CMD ["node", "--max-semi-space-size=4", "--heap-growing-percent=50", "apps/hub/dist/main.mjs"]
