import { NonRetryableError, compileTask, type ObjectStorage } from '@stepwise/tasks';
import { fakeStepContext, readObject, tempStorage, upload } from '../testing/fake-step-context';
import { CsvImportTask, csvImportInput, type CsvCheck, type CsvImportInput } from './csv-import.task';

type Outputs = { checkRows: CsvCheck };

describe('csv-import', () => {
  const task = new CsvImportTask();
  let storage: ObjectStorage;
  let dispose: () => Promise<void>;

  beforeEach(async () => {
    ({ storage, dispose } = await tempStorage());
  });
  afterEach(() => dispose());

  async function input(raw: Record<string, unknown>): Promise<CsvImportInput> {
    const result = await csvImportInput['~standard'].validate(raw);
    if (result.issues) throw new Error(JSON.stringify(result.issues));
    return result.value;
  }
  const context = (value: CsvImportInput, outputs: Partial<Outputs> = {}) =>
    fakeStepContext<CsvImportInput, Outputs>({ storage, input: value, outputs, taskId: 't1' });

  it('is a valid two-step task', () => {
    expect(compileTask(task).steps.map((s) => s.name)).toEqual(['checkRows', 'writeReport']);
  });

  it('requires exactly one file', async () => {
    for (const raw of [{}, { files: [] }]) {
      const result = await csvImportInput['~standard'].validate(raw);
      expect(result.issues?.map((i) => i.path?.join('.'))).toEqual(['files']);
    }
  });

  it('counts rows and invalid rows, with progress by bytes, then writes the report', async () => {
    const rows = [
      'email,name,age',
      'a@x.io,Ann,31',
      'b@x.io,"Bo, Jr.",40',
      ',Nobody,1',
      'c@x.io,Cy',
      'd@x.io,"multi\nline",2',
      '',
    ];
    const file = await upload(storage, 't1', 'people.csv', rows.join('\r\n'), 'text/csv');
    const value = await input({ files: [file], requiredColumns: 'email, name' });
    const ctx = context(value);
    const check = await task.checkRows(ctx);
    expect(check).toEqual({
      columns: ['email', 'name', 'age'],
      rows: 5,
      invalidRows: 2,
      errors: [
        { line: 4, message: 'email is empty' },
        { line: 5, message: '2 field(s), the header has 3' },
      ],
    });
    const fractions = ctx.progressReports.map((p) => p.fraction);
    expect(fractions.at(-1)).toBe(1);

    const next = context(value, { checkRows: check });
    expect(await task.writeReport(next)).toEqual({ rows: 5, invalidRows: 2, report: 'report.json' });
    expect(next.resultFile).toMatchObject({
      key: 'tasks/t1/output/report.json',
      name: 'report.json',
      contentType: 'application/json',
    });
    const report = JSON.parse((await readObject(storage, 'tasks/t1/output/report.json')).toString());
    expect(report).toMatchObject({ file: 'people.csv', rows: 5, invalidRows: 2, errorsTruncated: false });

    await task.deleteReport(next);
    expect(await storage.head('tasks/t1/output/report.json')).toBeNull();
  });

  it('keeps only the first 100 errors', async () => {
    const body = 'a,b\n' + 'only-one\n'.repeat(250);
    const file = await upload(storage, 't1', 'bad.csv', body);
    const check = await task.checkRows(context(await input({ files: [file] })));
    expect(check.rows).toBe(250);
    expect(check.invalidRows).toBe(250);
    expect(check.errors).toHaveLength(100);
    expect(check.errors[0]).toEqual({ line: 2, message: '1 field(s), the header has 2' });
  });

  it('fails for good on a header without the required columns, or an empty file', async () => {
    const file = await upload(storage, 't1', 'x.csv', 'a,b\n1,2\n');
    await expect(task.checkRows(context(await input({ files: [file], requiredColumns: ['email'] })))).rejects.toThrow(
      new NonRetryableError('header lacks required column(s): email'),
    );
    const empty = await upload(storage, 't1', 'empty.csv', '\n\n');
    await expect(task.checkRows(context(await input({ files: [empty] })))).rejects.toThrow(NonRetryableError);
  });

  it('stops when its signal aborts', async () => {
    const file = await upload(storage, 't1', 'big.csv', 'a,b\n' + '1,2\n'.repeat(500_000));
    const ctx = context(await input({ files: [file] }));
    const report = ctx.progress;
    ctx.progress = (f, m) => {
      report(f, m);
      ctx.controller.abort(new Error('cancelled'));
    };
    await expect(task.checkRows(ctx)).rejects.toThrow();
    expect(ctx.progressReports).toHaveLength(1);
    expect(ctx.progressReports[0].fraction).toBeLessThan(1);
  });
});
