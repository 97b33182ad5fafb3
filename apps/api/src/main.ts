import 'reflect-metadata';
import type { Server } from 'node:http';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ApiKeys, closeOnSignals, taskModuleOptionsFromEnv, type TaskModuleOptions } from '@stepwise/tasks';
import { setupOpenApi } from '@stepwise/tasks/openapi';
import { AppModule } from './app.module';
import { logFormatFromEnv, useAppLogger } from './app-logging';
import { securityHeaders } from './security-headers';

async function bootstrap(): Promise<void> {
  // Configuration is checked before Nest starts: a bad variable is one clear line, not a stack.
  const options = taskModuleOptionsFromEnv();
  const port = portFromEnv(process.env.PORT);
  const logs = logFormatFromEnv();

  // Buffered until the JSON logger is in place: the boot's lines are JSON too.
  const app = await NestFactory.create(AppModule.withLogs(logs), { abortOnError: false, bufferLogs: logs === 'json' });
  useAppLogger(app, logs);
  closeOnSignals(app); // graceful: running tasks are handed back, then exit 0
  app.use(securityHeaders()); // helmet: nosniff, no framing, a CSP, no X-Powered-By (docs/security.md)
  setupOpenApi(app);
  // Node cuts a request still arriving after 5 minutes (requestTimeout): an upload of a few GiB
  // on a slow link takes longer. Headers must still arrive within headersTimeout (60 s), and
  // TaskModule closes a connection silent for http.idleTimeoutMs (HTTP_IDLE_TIMEOUT_MS, 60 s).
  (app.getHttpServer() as Server).requestTimeout = 0;
  await app.listen(port); // no host: every interface, IPv4 and IPv6
  const url = `http://localhost:${port}`;
  const logger = new Logger('Api');
  logger.log(`listening on ${url} (OpenAPI: ${url}/docs); ${describeAuth(options)}`);
  if (options.auth?.scheme === 'apikey' && !(await app.get(ApiKeys).list()).some((key) => !key.revokedAt)) {
    logger.warn(
      'no active API key: every call is refused until you create one (npm run apikey -- create --owner <owner>)',
    );
  }
}

/** The start-up line's word on authentication: an open API says so. */
function describeAuth(options: TaskModuleOptions): string {
  switch (options.auth?.scheme) {
    case 'apikey':
      return 'authentication: API keys (TASKS_AUTH=apikey)';
    case 'jwt':
      return `authentication: JWT bearer tokens (TASKS_AUTH=jwt, ${options.auth.secret ? 'HS256 secret' : `JWKS ${options.auth.jwksUrl}`})`;
    default:
      return 'authentication: none, the API is open to anyone who can reach it (TASKS_AUTH=apikey or jwt to close it)';
  }
}

function portFromEnv(raw: string | undefined): number {
  const value = raw?.trim() ? Number(raw.trim()) : 3000;
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    throw new Error(`Invalid configuration: PORT=${JSON.stringify(raw)} must be an integer from 0 to 65535`);
  }
  return value;
}

bootstrap().catch((error: unknown) => {
  console.error(`stepwise api: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
