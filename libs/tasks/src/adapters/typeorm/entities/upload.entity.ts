import { EntitySchema } from 'typeorm';
import type { UploadRecord } from '../../../ports';
import { stringColumn, timeColumn } from './columns';

/** A row of `stepwise_uploads`: a finished resumable upload. */
export type UploadRow = UploadRecord;

export const UploadEntity = new EntitySchema<UploadRow>({
  name: 'StepwiseUpload',
  tableName: 'stepwise_uploads',
  columns: {
    id: { ...stringColumn('id'), primary: true },
    owner: stringColumn('owner'),
    name: { name: 'name', type: 'text' },
    contentType: stringColumn('content_type'),
    size: timeColumn('size'),
    sha256: stringColumn('sha256'),
    contentKey: { name: 'content_key', type: 'text' },
    createdAt: timeColumn('created_at'),
    expiresAt: timeColumn('expires_at'),
  },
});
