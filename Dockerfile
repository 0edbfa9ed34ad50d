# The project's image: the codec server by default, and (with another command) the example worker and client and the
# key administration CLI. Used by docker-compose.yml.
FROM node:20-slim

WORKDIR /app

# Dependencies first, so that changing the sources does not reinstall them. Dev dependencies stay: tsc builds the
# image, and the example worker and client need @temporalio/worker and @temporalio/client.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

COPY . .
RUN npm run build

USER node
EXPOSE 8081
CMD ["node", "dist/codec-server/main.js"]
