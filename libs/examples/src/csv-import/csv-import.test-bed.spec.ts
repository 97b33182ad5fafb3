import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { TaskTestBed } from '@stepwise/tasks/testing';
import { CsvImportTask } from './csv-import.task';

// The whole task through the testing kit: its two steps, retries on the fake
// clock, the result file in the in-memory storage.
describe('csv-import, run by the TaskTestBed', () => {
  let bed: TaskTestBed;

  beforeEach(async () => {
    bed = await TaskTestBed.create({ tasks: [CsvImportTask] });
  });
  afterEach(() => bed.close());

  async function upload(id: string, csv: string) {
    const key = `tasks/${id}/input/people.csv`;
    const stored = await bed.storage.put(key, Readable.from([csv]));
    return { key, name: 'people.csv', size: stored.size, sha256: stored.sha256, contentType: 'text/csv' };
  }

  async function report(key: string): Promise<unknown> {
    const chunks: Buffer[] = [];
    for await (const chunk of await bed.storage.get(key)) chunks.push(chunk as Buffer);
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  }

  it('checks the rows and writes its report, retrying a flaky read', async () => {
    bed.failStep('csv-import', 'checkRows', { attempts: [1, 2] });
    const id = randomUUID();
    const file = await upload(id, 'name,email\nada,ada@example.com\nbob,\n');
    const run = await bed.run('csv-import', { files: [file], requiredColumns: ['email'] }, { id });
    expect(run.status).toBe('completed');
    expect(run.steps.checkRows.attempts).toBe(3);
    expect(run.output).toEqual({ rows: 2, invalidRows: 1, report: 'report.json' });
    expect(await report(run.task.resultFile!.key)).toMatchObject({
      file: 'people.csv',
      columns: ['name', 'email'],
      errors: [{ line: 3, message: 'email is empty' }],
    });
  });

  it('fails for good on a header without a required column, with no retry', async () => {
    const id = randomUUID();
    const file = await upload(id, 'name\nada\n');
    const run = await bed.run('csv-import', { files: [file], requiredColumns: ['email'] }, { id });
    expect(run.status).toBe('failed');
    expect(run.steps.checkRows.attempts).toBe(1);
    expect(run.error?.message).toContain('header lacks required column(s): email');
  });
});
