import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import type { Placement } from '../model';
import { DEFAULT_ENGINE_SETTINGS, type EngineSettings } from '../engine';
import type { TaskMode, TaskModuleOptions, TaskRole, UploadLimits } from './task-module-options';

/** Options with every default applied, computed once. */
export interface ResolvedOptions {
  mode: TaskMode;
  role: TaskRole;
  placements: Placement[];
  dataDir: string;
  databaseUrl?: string;
  redisUrl?: string;
  engine: EngineSettings;
  uploads: UploadLimits;
  openApi: boolean;
}

export function resolveOptions(options: TaskModuleOptions): ResolvedOptions {
  const mode = options.mode ?? 'embedded';
  if (mode === 'distributed' && !options.queue && !options.redisUrl) {
    throw new Error('Stepwise: distributed mode needs redisUrl (REDIS_URL) or a queue adapter');
  }
  if (mode === 'distributed' && !options.store && !options.databaseUrl) {
    throw new Error('Stepwise: distributed mode needs databaseUrl (DATABASE_URL, postgres://) or a store adapter');
  }
  const role = options.role ?? (mode === 'embedded' ? 'all' : 'api');
  const leaseMs = options.engine?.leaseMs ?? DEFAULT_ENGINE_SETTINGS.leaseMs;
  return {
    mode,
    role,
    placements: role === 'all' ? ['api', 'worker'] : [role],
    dataDir: resolve(options.dataDir ?? '.data'),
    databaseUrl: options.databaseUrl,
    redisUrl: options.redisUrl,
    engine: {
      ...DEFAULT_ENGINE_SETTINGS,
      // A heartbeat a third of the lease survives two missed beats.
      heartbeatMs: Math.max(50, Math.floor(leaseMs / 3)),
      ...options.engine,
      workerId: options.engine?.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    },
    uploads: { maxFileSize: 1024 ** 3, maxFiles: 20, maxFields: 50, ...options.uploads },
    openApi: options.openApi ?? true,
  };
}
