import { ConfigError, taskModuleOptionsFromEnv } from './tasks-config-from-env';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

describe('taskModuleOptionsFromEnv: S3 storage', () => {
  it('reads every S3 variable into the s3 option, and presigned downloads', () => {
    const options = taskModuleOptionsFromEnv({
      S3_BUCKET: 'stepwise',
      S3_REGION: 'eu-west-3',
      S3_ENDPOINT: 'http://minio:9000',
      S3_PUBLIC_ENDPOINT: 'https://files.example.com',
      S3_ACCESS_KEY_ID: 'AKIAEXAMPLE',
      S3_SECRET_ACCESS_KEY: SECRET,
      S3_FORCE_PATH_STYLE: '1',
      S3_PREFIX: 'stepwise/prod',
      S3_PRESIGN_DOWNLOADS_SECONDS: '900',
    });
    expect(options).toEqual({
      s3: {
        bucket: 'stepwise',
        region: 'eu-west-3',
        endpoint: 'http://minio:9000',
        publicEndpoint: 'https://files.example.com',
        accessKeyId: 'AKIAEXAMPLE',
        secretAccessKey: SECRET,
        forcePathStyle: true,
        prefix: 'stepwise/prod/',
      },
      presignDownloads: { expiresInSeconds: 900 },
    });
  });

  it('needs only S3_BUCKET: region us-east-1, the AWS endpoint and credential chain', () => {
    expect(taskModuleOptionsFromEnv({ S3_BUCKET: 'my-bucket' })).toEqual({
      s3: { bucket: 'my-bucket', region: 'us-east-1' },
    });
  });

  it('leaves storage on the filesystem when no S3 variable is set', () => {
    expect(taskModuleOptionsFromEnv({ S3_BUCKET: '  ' }).s3).toBeUndefined();
  });

  it.each([
    ['1', true],
    ['true', true],
    ['TRUE', true],
    ['0', false],
    ['false', false],
  ])('reads S3_FORCE_PATH_STYLE=%s as %s', (value, expected) => {
    expect(taskModuleOptionsFromEnv({ S3_BUCKET: 'b-1', S3_FORCE_PATH_STYLE: value }).s3?.forcePathStyle).toBe(
      expected,
    );
  });

  it.each([
    ['S3_FORCE_PATH_STYLE', 'maybe', /S3_FORCE_PATH_STYLE="maybe" must be 1\/true or 0\/false/],
    ['S3_BUCKET', 'a', /S3_BUCKET="a" must be a bucket name/],
    ['S3_BUCKET', 'my bucket', /S3_BUCKET="my bucket" must be a bucket name/],
    ['S3_REGION', 'eu west', /S3_REGION="eu west" must be a region name/],
    ['S3_ENDPOINT', 'minio:9000', /S3_ENDPOINT must be a http:\/\/ or https:\/\/ URL/],
    ['S3_PUBLIC_ENDPOINT', 'ftp://files', /S3_PUBLIC_ENDPOINT must be a http:\/\/ or https:\/\/ URL/],
    ['S3_PREFIX', '/absolute', /S3_PREFIX="\/absolute" must be a relative key prefix \(must not start with "\/"\)/],
    ['S3_PREFIX', 'a/../b', /S3_PREFIX="a\/..\/b" must be a relative key prefix/],
    ['S3_PRESIGN_DOWNLOADS_SECONDS', '0', /S3_PRESIGN_DOWNLOADS_SECONDS="0" must be an integer from 1 to 604800/],
    ['S3_PRESIGN_DOWNLOADS_SECONDS', '604801', /S3_PRESIGN_DOWNLOADS_SECONDS="604801" must be an integer from 1/],
    ['S3_PRESIGN_DOWNLOADS_SECONDS', '1h', /S3_PRESIGN_DOWNLOADS_SECONDS="1h"/],
  ])('refuses %s=%s with a message naming the variable', (name, value, message) => {
    const run = () => taskModuleOptionsFromEnv({ S3_BUCKET: 'stepwise', [name]: value });
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(message);
  });

  it('refuses S3 variables without S3_BUCKET rather than silently storing files on local disk', () => {
    expect(() => taskModuleOptionsFromEnv({ S3_ENDPOINT: 'http://minio:9000', S3_REGION: 'us-east-1' })).toThrow(
      /S3_REGION, S3_ENDPOINT are set but S3_BUCKET is not: storage is S3 only when S3_BUCKET names the bucket/,
    );
    expect(() => taskModuleOptionsFromEnv({ S3_PRESIGN_DOWNLOADS_SECONDS: '60' })).toThrow(
      /S3_PRESIGN_DOWNLOADS_SECONDS needs S3_BUCKET/,
    );
  });

  it('requires both credentials or neither, and never echoes them', () => {
    const run = (env: Record<string, string>) => () => taskModuleOptionsFromEnv({ S3_BUCKET: 'stepwise', ...env });
    expect(run({ S3_SECRET_ACCESS_KEY: SECRET })).toThrow(
      /S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together/,
    );
    expect(run({ S3_ACCESS_KEY_ID: 'AKIAEXAMPLE' })).toThrow(/must be set together/);
    const envs: Array<Record<string, string>> = [
      { S3_SECRET_ACCESS_KEY: SECRET },
      { S3_SECRET_ACCESS_KEY: SECRET, S3_ENDPOINT: `http://AKIAEXAMPLE:${SECRET}@[bad` },
      { S3_SECRET_ACCESS_KEY: SECRET, S3_ACCESS_KEY_ID: 'AKIAEXAMPLE', S3_FORCE_PATH_STYLE: 'x' },
    ];
    for (const env of envs) {
      try {
        run(env)();
        throw new Error('expected a ConfigError');
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as Error).message).not.toContain(SECRET.slice(0, 8));
        expect((error as Error).message).not.toContain('AKIAEXAMPLE');
      }
    }
  });

  it('completes a bucket given by the defaults with the environment', () => {
    const options = taskModuleOptionsFromEnv(
      { S3_ENDPOINT: 'http://minio:9000' },
      { s3: { bucket: 'from-code', forcePathStyle: true } },
    );
    expect(options.s3).toEqual({
      bucket: 'from-code',
      region: 'us-east-1',
      endpoint: 'http://minio:9000',
      forcePathStyle: true,
    });
  });
});
