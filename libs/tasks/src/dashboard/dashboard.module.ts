import { Module } from '@nestjs/common';
import { DashboardController } from './dashboard.controller';

/** The live dashboard page, its script and stylesheet. */
@Module({ controllers: [DashboardController] })
export class DashboardModule {}
