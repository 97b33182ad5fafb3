import type { HttpTransport } from './http';
import type { RequestOptions, ScheduleInput, ScheduleListView, ScheduleView } from './types';

/**
 * The caller's cron schedules (`/schedules`): each slot of a schedule
 * submits one task of its type. Reached as {@link StepwiseClient.schedules}.
 */
export class SchedulesClient {
  constructor(private readonly http: HttpTransport) {}

  /** `GET /schedules`: the caller's schedules by name, each with its next run. */
  async list(options: RequestOptions = {}): Promise<ScheduleView[]> {
    const { body } = await this.http.json<ScheduleListView>({ method: 'GET', path: '/schedules', ...options });
    return body.items;
  }

  /** `GET /schedules/{name}`; a {@link StepwiseError} 404 for an unknown name. */
  async get(name: string, options: RequestOptions = {}): Promise<ScheduleView> {
    return this.call('GET', name, '', options);
  }

  /**
   * `POST /schedules`: creates a schedule the caller owns. A
   * {@link StepwiseError} 400 names the bad field in `details` (`cron`,
   * `timezone`, `type`, `input.<field>`), 409 when the name is taken.
   */
  async create(schedule: ScheduleInput, options: RequestOptions = {}): Promise<ScheduleView> {
    const { body } = await this.http.json<ScheduleView>({
      method: 'POST',
      path: '/schedules',
      body: JSON.stringify(schedule),
      ...options,
      headers: { 'content-type': 'application/json', ...options.headers },
    });
    return body;
  }

  /** `POST /schedules/{name}/pause`: no slot is submitted until {@link resume}. */
  async pause(name: string, options: RequestOptions = {}): Promise<ScheduleView> {
    return this.call('POST', name, '/pause', options);
  }

  /** `POST /schedules/{name}/resume`: counts from now (slots passed while paused do not run). */
  async resume(name: string, options: RequestOptions = {}): Promise<ScheduleView> {
    return this.call('POST', name, '/resume', options);
  }

  /** `DELETE /schedules/{name}`: its tasks stay. A 409 for a schedule declared in code (pause it instead). */
  async delete(name: string, options: RequestOptions = {}): Promise<void> {
    await this.http.send({ method: 'DELETE', path: pathOf(name), ...options });
  }

  private async call(method: string, name: string, suffix: string, options: RequestOptions): Promise<ScheduleView> {
    const { body } = await this.http.json<ScheduleView>({ method, path: `${pathOf(name)}${suffix}`, ...options });
    return body;
  }
}

const pathOf = (name: string) => `/schedules/${encodeURIComponent(name)}`;
