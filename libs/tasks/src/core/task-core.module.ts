import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { TaskEngine } from '../engine';
import { coreProviders } from './core-providers';
import { portProviders } from './port-providers';
import { rateLimiterProvider } from './rate-limiter';
import { TaskSchedules } from './task-schedules';
import { TaskSubmitter } from './task-submitter';
import { TaskAuthorizer } from './auth/task-authorizer';
import { ApiKeys } from './auth/api-keys';
import { ConfigurableTaskModule, TASK_MODULE_OPTIONS } from './task-module.definition';
import {
  API_KEY_STORE,
  CLOCK,
  EVENT_BUS,
  EVENT_HOOKS,
  OBJECT_STORAGE,
  OWNER_RESOLVER,
  RATE_LIMITER,
  RESOLVED_OPTIONS,
  SCHEDULE_STORE,
  STEPWISE_DATA_SOURCE,
  TASK_QUEUE,
  TASK_REGISTRY,
  TASK_STORE,
  UPLOAD_STORE,
  WEBHOOK_SETTINGS,
} from './tokens';

/**
 * The bottom of the module tree: options, the ports' adapters, the engine,
 * the explorer and the lifecycle. Global, so that every feature module (and
 * the host's own providers) can inject the engine and the ports; the
 * features it runs with are `TaskModule`'s to choose.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [...coreProviders, ...portProviders, rateLimiterProvider],
  exports: [
    TaskEngine,
    TaskSubmitter,
    TaskSchedules,
    TaskAuthorizer,
    ApiKeys,
    API_KEY_STORE,
    CLOCK,
    EVENT_BUS,
    EVENT_HOOKS,
    OBJECT_STORAGE,
    OWNER_RESOLVER,
    RATE_LIMITER,
    RESOLVED_OPTIONS,
    SCHEDULE_STORE,
    STEPWISE_DATA_SOURCE,
    TASK_QUEUE,
    TASK_MODULE_OPTIONS,
    TASK_REGISTRY,
    TASK_STORE,
    UPLOAD_STORE,
    WEBHOOK_SETTINGS,
  ],
})
export class TaskCoreModule extends ConfigurableTaskModule {}
