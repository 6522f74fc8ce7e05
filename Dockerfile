# kube-eventline exporter image.
#
#   docker build -t ghcr.io/kube-eventline/kube-eventline:0.1.0 .
#
# Build stage: full dev dependencies, TypeScript compiled to dist/.
ARG NODE_IMAGE=node:20-alpine

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: the only install script among the dependencies compiles the jsonnet binding
# used by the dashboard build, which the exporter does not need (and which needs cmake).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Runtime stage: production dependencies and dist/ only, run as uid/gid 65532.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force \
 && rm -rf /root/.npm /tmp/*
COPY --from=build /src/dist ./dist
# `kube-eventline` on PATH, as the package's bin names it. `exec` replaces the shell with node,
# so node is PID 1 and receives SIGTERM from the kubelet directly.
RUN printf '#!/bin/sh\nexec node /app/dist/cli.js "$@"\n' > /usr/local/bin/kube-eventline \
 && chmod 0755 /usr/local/bin/kube-eventline
USER 65532:65532
EXPOSE 2112
ENTRYPOINT ["kube-eventline"]
CMD ["--config", "/etc/kube-eventline/config.yaml"]
