/** One record and the (1-based) line it starts on. */
export interface CsvRecord {
  fields: string[];
  line: number;
}

export class CsvSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'CsvSyntaxError';
  }
}

export interface CsvParserOptions {
  /** Default `,`. */
  delimiter?: string;
  /** A record longer than this (in characters) is an error: memory stays bounded on a stray quote. Default 1 MiB. */
  maxRecordLength?: number;
}

/**
 * A minimal streaming RFC 4180 parser: push text as it arrives, get the
 * complete records back. Quoted fields may hold delimiters, `""` and line
 * breaks; lines end with LF, CRLF or CR; a leading BOM and blank lines are
 * skipped. Lenient where the RFC is silent: a quote inside an unquoted field,
 * or text after a closing quote, is kept as is.
 */
export class CsvParser {
  private readonly delimiter: string;
  private readonly maxRecordLength: number;
  private fields: string[] = [];
  private field = '';
  private quoted = false;
  private inQuotes = false;
  /** A quote was just read inside a quoted field: `""` or the closing quote. */
  private quoteSeen = false;
  private afterCR = false;
  private started = false;
  private line = 1;
  private recordLine = 1;
  private recordLength = 0;

  constructor(options: CsvParserOptions = {}) {
    this.delimiter = options.delimiter ?? ',';
    if (this.delimiter.length !== 1 || /["\r\n]/.test(this.delimiter))
      throw new Error('delimiter must be one character other than a quote or line break');
    this.maxRecordLength = options.maxRecordLength ?? 1024 * 1024;
  }

  push(text: string): CsvRecord[] {
    const records: CsvRecord[] = [];
    let start = 0;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) start = 1;
    }
    for (let i = start; i < text.length; i++) {
      const c = text[i];
      if (this.afterCR) {
        this.afterCR = false;
        if (c === '\n') continue;
      }
      if (++this.recordLength > this.maxRecordLength) {
        throw new CsvSyntaxError(
          `record is longer than ${this.maxRecordLength} characters (an unterminated quote?)`,
          this.recordLine,
        );
      }
      if (this.inQuotes) {
        if (this.quoteSeen) {
          this.quoteSeen = false;
          if (c === '"') {
            this.field += '"';
            continue;
          }
          this.inQuotes = false; // that quote closed the field; `c` is read as unquoted text
        } else if (c === '"') {
          this.quoteSeen = true;
          continue;
        } else {
          if (c === '\n') this.line++;
          this.field += c;
          continue;
        }
      }
      if (c === this.delimiter) {
        this.endField();
      } else if (c === '\n' || c === '\r') {
        this.afterCR = c === '\r';
        const record = this.endRecord();
        if (record) records.push(record);
        this.line++;
        this.recordLine = this.line;
        this.recordLength = 0;
      } else if (c === '"' && this.field === '' && !this.quoted) {
        this.inQuotes = true;
        this.quoted = true;
      } else {
        this.field += c;
      }
    }
    return records;
  }

  /** Flushes the last record (a file need not end with a line break). */
  end(): CsvRecord[] {
    if (this.inQuotes && !this.quoteSeen) throw new CsvSyntaxError('unterminated quoted field', this.recordLine);
    this.inQuotes = false;
    this.quoteSeen = false;
    const record = this.endRecord();
    return record ? [record] : [];
  }

  private endField(): void {
    this.fields.push(this.field);
    this.field = '';
    this.quoted = false;
  }

  private endRecord(): CsvRecord | undefined {
    const blank = this.fields.length === 0 && this.field === '' && !this.quoted;
    this.endField();
    const fields = this.fields;
    this.fields = [];
    return blank ? undefined : { fields, line: this.recordLine };
  }
}
