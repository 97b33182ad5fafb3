// The storage suite's sizes (scaled by BENCH_SCALE), S3 settings, targets, and its log.
import { round as roundTo, SCALE } from '../lib/util.mjs';

export const MIB = 1024 * 1024;
export const MB = 1e6;
export const ZIP_FILES = 8;
/** The two ZIP sizes (total of the 8 inputs), each a multiple of 8 x 64 KiB. */
const zipTotal = (bytes) => Math.max(1, Math.round((bytes * SCALE) / ZIP_FILES / 65536)) * 65536 * ZIP_FILES;
export const ZIP_SMALL = zipTotal(100 * MIB);
export const ZIP_LARGE = zipTotal(1024 * MIB);
export const UPLOADS = Math.max(10, Math.round(100 * SCALE));
export const UPLOAD_SIZE = 10 * MIB;
/** S3Storage's defaults (libs/tasks/src/adapters/s3/s3-storage.ts), used by the baselines too. */
export const PART_SIZE = 8 * MIB;
export const QUEUE_SIZE = 4;
export const BUCKET = 'stepwise-bench';
export const TARGETS = { zipRatio: 0.7, workerPeakRssMB: 150, workerRssSpread: 0.2, apiPeakRssMB: 300 };
/** A run that takes longer than this is stuck: clean up and fail. */
export const DEADLINE_MS = Number(process.env.BENCH_DEADLINE_MS ?? 15 * 60_000);

/** One decimal unless asked. */
export const round = (x, digits = 1) => roundTo(x, digits);
export const mibPerSec = (bytes, ms) => bytes / MIB / (ms / 1000);
const started = Date.now();
export const elapsedSeconds = () => Math.round((Date.now() - started) / 1000);
export const log = (what) => console.error(`[storage bench ${((Date.now() - started) / 1000).toFixed(0)}s] ${what}`);
