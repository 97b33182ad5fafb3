import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { UPLOADS_PREFIX, type UploadLayout, type UploadLayoutOptions } from '../../ports';
import { FEATURE_PACKAGES, loadFeature } from '../optional-packages';

/**
 * `@tus/file-store` under the root of a `FilesystemStorage`, loaded when
 * resumable uploads are on (tus ships ES modules only).
 */
export async function filesystemUploadLayout(root: string, options: UploadLayoutOptions): Promise<UploadLayout> {
  const directory = join(root, UPLOADS_PREFIX);
  // FileStore creates its directory in the background and throws from the callback if that
  // fails (an uncaught exception): create it here first, synchronously, so that it never has to.
  mkdirSync(directory, { recursive: true });
  const { FileStore } = await loadFeature(
    'resumable uploads on disk',
    FEATURE_PACKAGES.resumableUploadsOnDisk,
    () => import('@tus/file-store'),
  );
  const datastore = new FileStore({ directory, expirationPeriodInMilliseconds: options.expireAfterMs });
  return {
    datastore,
    datastoreId: (id) => id,
    uploadId: (datastoreId) => datastoreId,
    contentKey: (uploadId) => `${UPLOADS_PREFIX}${uploadId}`,
    sidecarKeys: (key) => [`${key}.json`],
  };
}
