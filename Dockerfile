# kube-eventline exporter image.
#
#   docker build -t ghcr.io/kube-eventline/kube-eventline:0.1.0 .
#
# Build stage: full dev dependencies, TypeScript compiled to dist/ and bundled by esbuild into
# dist/kube-eventline.mjs (scripts/bundle.mjs says why: memory).
ARG NODE_IMAGE=node:20-alpine

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: no dependency needs an install script (esbuild's binary comes as an npm
# package of its own), so none runs.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
# The two JSON files src/ imports: the Loki stream names and the digest's LogQL (rendered from the
# mixin by `npm run build:dashboards`, committed).
COPY jsonnet/loki-streams.json jsonnet/digest-queries.json ./jsonnet/
RUN npm run build

# Runtime stage: the bundle holds the exporter and every dependency, so there is no node_modules.
# package.json gives --version; the source map and the third-party licences travel with the bundle.
# `kube-eventline digest` (the digest CronJob, deploy/components/digest) is a file of its own, which
# the exporter's process never loads. Runs as uid/gid 65532.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY package.json ./
COPY --from=build /src/dist/kube-eventline.mjs /src/dist/kube-eventline.mjs.map /src/dist/kube-eventline.mjs.licenses.txt ./dist/
COPY --from=build /src/dist/kube-eventline-digest.mjs /src/dist/kube-eventline-digest.mjs.map /src/dist/kube-eventline-digest.mjs.licenses.txt ./dist/
# `kube-eventline` on PATH, as the package's bin names it. `exec` replaces the shell with node,
# so node is PID 1 and receives SIGTERM from the kubelet directly.
RUN printf '#!/bin/sh\nexec node /app/dist/kube-eventline.mjs "$@"\n' > /usr/local/bin/kube-eventline \
 && chmod 0755 /usr/local/bin/kube-eventline
USER 65532:65532
EXPOSE 2112
ENTRYPOINT ["kube-eventline"]
CMD ["--config", "/etc/kube-eventline/config.yaml"]
