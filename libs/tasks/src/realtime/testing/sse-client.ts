import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';

// A server-sent events client for tests (in-process and across processes): parses the stream as it arrives.

export interface SseMessage {
  id?: string;
  event?: string;
  data?: string;
}

export interface SseResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body so far (JSON error bodies, too). */
  raw: string;
  messages: SseMessage[];
  comments: string[];
  /** Resolves when the server ends the response. */
  ended: Promise<void>;
  isEnded(): boolean;
  close(): void;
}

/** Opens `GET path`, parses the stream as it comes; resolves once the headers arrived. */
export function openSse(port: number, path: string, headers: Record<string, string> = {}): Promise<SseResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers: { accept: 'text/event-stream', ...headers } });
    req.on('error', reject);
    req.on('response', (res) => {
      let buffer = '';
      let ended = false;
      let markEnded!: () => void;
      const result: SseResponse = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        raw: '',
        messages: [],
        comments: [],
        ended: new Promise<void>((done) => (markEnded = done)),
        isEnded: () => ended,
        close: () => req.destroy(),
      };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        result.raw += chunk;
        buffer += chunk;
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const message: SseMessage = {};
          let isMessage = false;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) {
              result.comments.push(line.slice(1).trim());
              continue;
            }
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'id' || field === 'event' || field === 'data') {
              message[field] = field === 'data' && message.data !== undefined ? `${message.data}\n${value}` : value;
              isMessage = true;
            }
          }
          if (isMessage) result.messages.push(message);
        }
      });
      const finish = () => {
        if (ended) return;
        ended = true;
        markEnded();
      };
      res.on('end', finish);
      res.on('close', finish);
      resolve(result);
    });
    req.end();
  });
}
