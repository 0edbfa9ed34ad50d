# The project's image: the codec server by default, and (with another command) the example worker and client and the
# key administration CLI. Used by docker-compose.yml.
#
# Built in the full Node image, which has a C compiler for the native AES-GCM module, and run in the slim one of the
# same Node release (the module links against that Node's OpenSSL).
FROM node:20 AS build

WORKDIR /app

# Dependencies first, so that changing the sources does not reinstall them. Dev dependencies stay: tsc builds the
# image, and the example worker and client need @temporalio/worker and @temporalio/client.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

COPY . .
RUN npm run build

FROM node:20-slim

WORKDIR /app
COPY --from=build /app /app

USER node
EXPOSE 8081
CMD ["node", "dist/codec-server/main.js"]
