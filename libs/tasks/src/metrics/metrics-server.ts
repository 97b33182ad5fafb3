import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TaskMetrics } from './task-metrics';

/**
 * A listener of its own for `GET /metrics`: for worker processes, which
 * serve no HTTP, and for apps that keep metrics off their public port.
 */
export async function startMetricsServer(metrics: TaskMetrics, port: number, host?: string): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"statusCode":404,"message":"Not Found"}');
      return;
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}

export const boundPort = (server: Server) => (server.address() as AddressInfo).port;
