# Hoist's own image: the TypeScript sources run through tsx on a current Node LTS.
FROM node:22-bookworm-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends git ca-certificates \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --omit=dev --no-audit --no-fund
COPY tsconfig.json hoist.yaml ./
COPY bin ./bin
COPY src ./src
COPY migrations ./migrations
COPY examples ./examples
# Listening on every interface: probes and Slack's HTTP mode reach Hoist from outside the container.
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 HOIST_DATA_DIR=/var/lib/hoist
# `hoist …` on the PATH, for `docker compose exec hoist hoist token create …`.
RUN chmod +x bin/hoist.mjs && ln -s /app/bin/hoist.mjs /usr/local/bin/hoist \
  && mkdir -p /var/lib/hoist && chown node:node /var/lib/hoist
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "bin/hoist.mjs"]
CMD ["start", "--headless"]
