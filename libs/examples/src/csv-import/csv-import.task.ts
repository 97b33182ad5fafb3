import { Readable, addAbortSignal } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { Compensate, NonRetryableError, Step, Task, type StepContext } from '@stepwise/tasks';
import { z } from 'zod';
import { assertOwnFile, uploadedFileSchema } from '../shared/uploaded-file';
import { CsvParser, CsvSyntaxError } from './csv-parser';

/** A list given as JSON array or, from a multipart form, as one comma-separated field. */
const columnList = z
  .union([z.array(z.string()), z.string().transform((s) => s.split(','))])
  .transform((list) => list.map((c) => c.trim()).filter(Boolean));

export const csvImportInput = z
  .object({
    files: z
      .array(uploadedFileSchema, { error: 'one CSV file is required' })
      .length(1, 'exactly one CSV file is required'),
    delimiter: z.enum([',', ';', '\t', '|']).default(','),
    /** Columns that must be present in the header and non-empty in every row. */
    requiredColumns: columnList.default([]).meta({ description: 'Must be in the header and non-empty in every row.' }),
  })
  // Labels of the dashboard's form, built from the JSON Schema.
  .meta({ title: 'CSV check', description: 'Reads a CSV file row by row and reports the rows with problems.' });

export type CsvImportInput = z.output<typeof csvImportInput>;

export interface CsvCheck {
  columns: string[];
  rows: number;
  invalidRows: number;
  /** The first {@link MAX_ERRORS} problems. */
  errors: Array<{ line: number; message: string }>;
}

const MAX_ERRORS = 100;
type Ctx = StepContext<CsvImportInput, { checkRows: CsvCheck }>;

/** The second task: a streamed CSV check with a JSON report. The library does the rest. */
@Task({ name: 'csv-import', queue: 'files', cancellable: true, acceptsFiles: true, input: csvImportInput })
export class CsvImportTask {
  @Step({ order: 1, on: 'worker', retry: { attempts: 3, delayMs: 500, nonRetryable: [CsvSyntaxError] } })
  async checkRows(ctx: Ctx): Promise<CsvCheck> {
    const [file] = ctx.input.files;
    assertOwnFile(ctx, file);
    const stream = addAbortSignal(ctx.signal, await ctx.storage.get(file.key));
    const parser = new CsvParser({ delimiter: ctx.input.delimiter });
    const decoder = new StringDecoder('utf8');
    const check: CsvCheck = { columns: [], rows: 0, invalidRows: 0, errors: [] };
    let required: number[] = [];
    let header = false;
    let bytes = 0;
    const take = (records: ReturnType<CsvParser['push']>) => {
      for (const { fields, line } of records) {
        if (!header) {
          header = true;
          check.columns = fields.map((f) => f.trim());
          required = ctx.input.requiredColumns.map((name) => check.columns.indexOf(name));
          const missing = ctx.input.requiredColumns.filter((_, i) => required[i] < 0);
          if (missing.length) throw new NonRetryableError(`header lacks required column(s): ${missing.join(', ')}`);
          continue;
        }
        check.rows++;
        const problem =
          fields.length !== check.columns.length
            ? `${fields.length} field(s), the header has ${check.columns.length}`
            : required
                .filter((i) => fields[i].trim() === '')
                .map((i) => `${check.columns[i]} is empty`)
                .join(', ');
        if (!problem) continue;
        check.invalidRows++;
        if (check.errors.length < MAX_ERRORS) check.errors.push({ line, message: problem });
      }
    };
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      take(parser.push(decoder.write(chunk)));
      bytes += chunk.length;
      ctx.progress(file.size > 0 ? bytes / file.size : 1, `${check.rows} row(s) read`);
    }
    take(parser.push(decoder.end()));
    take(parser.end());
    if (!header) throw new NonRetryableError(`file "${file.name}" is empty`);
    return check;
  }

  @Step({ order: 2, on: 'worker', retry: { attempts: 3, delayMs: 500 } })
  async writeReport(ctx: Ctx) {
    const check = ctx.outputs.checkRows!;
    const report = {
      file: ctx.input.files[0].name,
      ...check,
      errorsTruncated: check.invalidRows > check.errors.length,
    };
    const key = reportKey(ctx);
    const body = Readable.from([JSON.stringify(report, null, 2)]);
    const stored = await ctx.storage.put(key, body, { signal: ctx.signal, contentType: 'application/json' });
    ctx.setResultFile({
      key,
      name: 'report.json',
      size: stored.size,
      contentType: 'application/json',
      sha256: stored.sha256,
    });
    return { rows: check.rows, invalidRows: check.invalidRows, report: 'report.json' };
  }

  @Compensate('writeReport')
  async deleteReport(ctx: Ctx): Promise<void> {
    await ctx.storage.delete(reportKey(ctx));
  }
}

const reportKey = (ctx: Ctx) => `${ctx.storagePrefix}output/report.json`;
