import { encodeMultipart, splitInput } from './multipart';
import { errorBodyOf, StepwiseError } from './stepwise-error';

describe('multipart encoding', () => {
  it('sends one-line strings as fields and everything else as the JSON input field', () => {
    expect(
      splitInput({
        title: 'report',
        lines: 'a\nb',
        count: 3,
        nested: { deep: [1, 2] },
        input: 'named input',
        'we"ird': 'x',
        skipped: undefined,
      }),
    ).toEqual({
      fields: [['title', 'report']],
      json: JSON.stringify({
        lines: 'a\nb',
        count: 3,
        nested: { deep: [1, 2] },
        input: 'named input',
        'we"ird': 'x',
      }),
    });
    expect(splitInput(undefined)).toEqual({ fields: [], json: undefined });
    expect(() => splitInput([1, 2])).toThrow(TypeError);
    expect(() => splitInput('text')).toThrow(TypeError);
  });

  it('streams a body with a boundary when a file is a stream', async () => {
    async function* chunks() {
      yield new TextEncoder().encode('abc');
      yield new TextEncoder().encode('def');
    }
    const encoded = encodeMultipart({ title: 'x', n: 1 }, [
      { name: 'a "b".txt', data: chunks(), contentType: 'text/plain' },
      { name: 'c.bin', data: new Uint8Array([1, 2]) },
    ]);
    expect(encoded.duplex).toBe('half');
    const boundary = /boundary=(.+)$/.exec(encoded.headers['content-type'])![1];
    const text = await new Response(encoded.body).text();
    expect(text).toBe(
      [
        `--${boundary}`,
        'Content-Disposition: form-data; name="title"',
        '',
        'x',
        `--${boundary}`,
        'Content-Disposition: form-data; name="input"',
        '',
        '{"n":1}',
        `--${boundary}`,
        'Content-Disposition: form-data; name="files"; filename="a %22b%22.txt"',
        'Content-Type: text/plain',
        '',
        'abcdef',
        `--${boundary}`,
        'Content-Disposition: form-data; name="files"; filename="c.bin"',
        'Content-Type: application/octet-stream',
        '',
        '\u0001\u0002',
        `--${boundary}--`,
        '',
      ].join('\r\n'),
    );
  });

  it('uses FormData when every file is already in memory or a Blob', () => {
    const encoded = encodeMultipart({ title: 'x' }, [{ name: 'a.txt', data: new Blob(['a']) }]);
    expect(encoded.body).toBeInstanceOf(FormData);
    expect(encoded.headers).toEqual({});
    expect(encoded.duplex).toBeUndefined();
  });
});

describe('StepwiseError', () => {
  it('reads the contract body, and a 409 about a task', () => {
    const error = new StepwiseError(
      errorBodyOf(
        409,
        'Conflict',
        JSON.stringify({
          statusCode: 409,
          error: 'Conflict',
          message: 'Task t is failed; it has no result',
          details: { status: 'failed', error: { name: 'Error', message: 'kaboom' } },
        }),
      ),
    );
    expect(error).toMatchObject({
      name: 'StepwiseError',
      statusCode: 409,
      error: 'Conflict',
      message: 'Task t is failed; it has no result',
      taskStatus: 'failed',
      taskError: { name: 'Error', message: 'kaboom' },
    });
    expect(StepwiseError.is(error)).toBe(true);
    expect(StepwiseError.is(new Error('x'))).toBe(false);
  });

  it('makes do with an answer that is not the contract (a proxy page)', () => {
    expect(errorBodyOf(502, '', '<html>Bad gateway</html>')).toEqual({
      statusCode: 502,
      error: 'Bad Gateway',
      message: '502 Bad Gateway: <html>Bad gateway</html>',
    });
    expect(errorBodyOf(503, 'Service Unavailable', '')).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: '503 Service Unavailable',
    });
  });
});
