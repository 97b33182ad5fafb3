/** The tus endpoint (`ResumableUploads`), or null when off or in a worker. */
export const RESUMABLE_UPLOADS = Symbol.for('stepwise:ResumableUploads');
/** The two Redis connections of the upload locker (commands, subscriber), or none. */
export const UPLOAD_REDIS = Symbol.for('stepwise:UploadRedis');
