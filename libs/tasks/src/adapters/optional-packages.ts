/**
 * Loads what an optional feature needs (BullMQ and Redis for distributed
 * mode, the AWS SDK for S3, tus for resumable uploads): those packages are
 * optional peer dependencies, installed by the apps that configure the
 * feature. A missing one fails the boot with the command that fixes it,
 * instead of a bare "Cannot find module".
 */
export async function loadFeature<T>(feature: string, packages: readonly string[], load: () => Promise<T>): Promise<T> {
  requireFeature(feature, packages);
  return load();
}

/** Fails with the `npm install` that fixes it when a package of `feature` is missing. */
export function requireFeature(feature: string, packages: readonly string[]): void {
  const missing = packages.filter((name) => !isInstalled(name));
  if (missing.length > 0) {
    throw new Error(
      `Stepwise: ${feature} needs ${missing.map((m) => `"${m}"`).join(', ')}, not installed: npm install ${missing.join(' ')}`,
    );
  }
}

function isInstalled(name: string): boolean {
  try {
    require.resolve(name);
    return true;
  } catch {
    return false;
  }
}

/** The packages of each optional feature. */
export const FEATURE_PACKAGES = {
  postgres: ['pg'],
  bullmq: ['bullmq', 'ioredis'],
  nestBullmq: ['@nestjs/bullmq', 'bullmq', 'ioredis'],
  redis: ['ioredis'],
  s3: ['@aws-sdk/client-s3', '@aws-sdk/lib-storage', '@aws-sdk/s3-request-presigner'],
  resumableUploads: ['@tus/server', '@tus/utils'],
  resumableUploadsOnDisk: ['@tus/file-store'],
  resumableUploadsOnS3: ['@tus/s3-store'],
  metrics: ['prom-client'],
  jwt: ['jose'],
  rateLimit: ['@nestjs/throttler'],
} as const;
