FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libxgboost0 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci
COPY . .
RUN npm run build
EXPOSE 6432 8080
CMD ["node", "--min-semi-space-size=16", "dist/cli.js", "--listen", "0.0.0.0:6432"]
