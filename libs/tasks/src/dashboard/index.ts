import type { Type } from '@nestjs/common';
import { DashboardController } from './dashboard.controller';

/** Registered by `TaskModule`. */
export const DASHBOARD_CONTROLLERS: Type[] = [DashboardController];

export { DashboardController, DASHBOARD_CSP } from './dashboard.controller';
