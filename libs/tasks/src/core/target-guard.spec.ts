import {
  classifyAddress,
  literalTargetProblem,
  resolveTarget,
  TargetRefusedError,
  type ResolveHost,
} from './target-guard';

/** A resolver with fixed answers: no DNS in tests. */
const resolver =
  (table: Record<string, string[]>): ResolveHost =>
  async (hostname) => {
    const addresses = table[hostname];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

describe('classifyAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'shared (CGNAT)'],
    ['100.127.255.255', 'shared (CGNAT)'],
    ['169.254.169.254', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['192.0.2.10', 'documentation'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf:ffff::1', 'link-local'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456:789a::1', 'unique-local'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:10.0.0.1', 'private'],
    ['::127.0.0.1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    ['2002:7f00:1::1', 'loopback'],
    ['2001:db8::1', 'documentation'],
  ])('refuses %s (%s)', (address, range) => {
    expect(classifyAddress(address)).toBe(range);
  });

  it.each([
    '93.184.216.34',
    '8.8.8.8',
    '1.1.1.1',
    '172.15.255.255',
    '172.32.0.1',
    '100.63.255.255',
    '100.128.0.1',
    '169.253.255.255',
    '11.0.0.1',
    '2606:4700:4700::1111',
    '2a00:1450:4007:80f::200e',
    '::ffff:93.184.216.34',
    '2002:5db8:d822::1',
  ])('accepts the public address %s', (address) => {
    expect(classifyAddress(address)).toBeNull();
  });
});

describe('literalTargetProblem (what a submit can refuse without DNS)', () => {
  it.each([
    'http://127.0.0.1:8080/hook',
    'http://localhost/hook',
    'http://LOCALHOST./hook',
    'http://api.localhost/hook',
    'http://169.254.169.254/latest/meta-data',
    'http://[::1]/hook',
    'http://[::ffff:127.0.0.1]/hook',
    'http://10.0.0.5/hook',
    'http://2130706433/hook', // 127.0.0.1 as one number: the URL parser normalises it
    'http://0x7f.1/hook',
    'http://0/hook',
  ])('refuses %s', (url) => {
    expect(literalTargetProblem(new URL(url))).toMatch(/must not target .+ unless private targets are allowed/);
  });

  it.each(['https://hooks.example.com/x', 'http://93.184.216.34/x', 'http://[2606:4700:4700::1111]/x'])(
    'lets %s through (names are checked when resolved)',
    (url) => {
      expect(literalTargetProblem(new URL(url))).toBeNull();
    },
  );
});

describe('resolveTarget', () => {
  const table = {
    'hooks.example.com': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
    'sneaky.example.com': ['93.184.216.34', '127.0.0.1'],
    'loopback.example.com': ['127.0.0.1'],
    'metadata.example.com': ['169.254.169.254'],
    'mapped.example.com': ['::ffff:10.0.0.1'],
  };
  const resolve = resolver(table);

  it('returns the first address of a public name, to connect to it', async () => {
    const target = await resolveTarget(new URL('https://hooks.example.com/x'), { allowPrivate: false, resolve });
    expect(target).toMatchObject({ hostname: 'hooks.example.com', address: '93.184.216.34', family: 4 });
  });

  it.each([
    ['http://loopback.example.com/', /loopback\.example\.com resolves to 127\.0\.0\.1, a loopback address/],
    ['http://sneaky.example.com/', /resolves to 127\.0\.0\.1/],
    ['http://metadata.example.com/', /169\.254\.169\.254, a link-local address/],
    ['http://mapped.example.com/', /::ffff:10\.0\.0\.1, a private address/],
    ['http://127.0.0.1:9/', /127\.0\.0\.1 is a loopback address/],
    ['http://[::1]:9/', /::1 is a loopback address/],
    ['http://169.254.169.254/', /link-local/],
  ])('refuses %s when ANY address is private', async (url, message) => {
    const attempt = resolveTarget(new URL(url), { allowPrivate: false, resolve });
    await expect(attempt).rejects.toThrow(TargetRefusedError);
    await expect(resolveTarget(new URL(url), { allowPrivate: false, resolve })).rejects.toThrow(message);
    await expect(resolveTarget(new URL(url), { allowPrivate: false, resolve })).rejects.toThrow(
      /WEBHOOK_ALLOW_PRIVATE=1/,
    );
  });

  it('refuses localhost through the system resolver', async () => {
    await expect(resolveTarget(new URL('http://localhost:9/'), { allowPrivate: false })).rejects.toThrow(
      /localhost resolves to (127\.0\.0\.1|::1), a loopback address/,
    );
  });

  it('allows everything with allowPrivate, still naming the address to connect to', async () => {
    const loopback = await resolveTarget(new URL('http://loopback.example.com/'), { allowPrivate: true, resolve });
    expect(loopback).toMatchObject({ address: '127.0.0.1', family: 4 });
    const literal = await resolveTarget(new URL('http://[::1]:8080/'), { allowPrivate: true, resolve });
    expect(literal).toMatchObject({ hostname: '::1', address: '::1', family: 6 });
  });

  it('passes DNS failures on as ordinary (retryable) errors', async () => {
    const attempt = resolveTarget(new URL('http://nowhere.example.com/'), { allowPrivate: false, resolve });
    await expect(attempt).rejects.toThrow(/ENOTFOUND/);
    await expect(attempt).rejects.not.toThrow(TargetRefusedError);
  });
});
