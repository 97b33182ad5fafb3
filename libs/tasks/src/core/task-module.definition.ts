import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { TaskModuleOptions } from './task-module-options';

export const {
  ConfigurableModuleClass: ConfigurableTaskModule,
  MODULE_OPTIONS_TOKEN: TASK_MODULE_OPTIONS,
  OPTIONS_TYPE: TASK_MODULE_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: TASK_MODULE_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<TaskModuleOptions>()
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
