import { CsvParser, CsvSyntaxError } from './csv-parser';

/** Parses `text` pushed in chunks of `size` characters. */
function parse(text: string, size = text.length || 1, delimiter?: string) {
  const parser = new CsvParser({ delimiter });
  const records = [];
  for (let i = 0; i < text.length; i += size) records.push(...parser.push(text.slice(i, i + size)));
  records.push(...parser.end());
  return records;
}

describe('CsvParser', () => {
  const sample = 'id,name,note\r\n1,"Smith, Jo","said ""hi"""\r\n2,Ann,"two\nlines"\n\n3,,last';
  const expected = [
    { line: 1, fields: ['id', 'name', 'note'] },
    { line: 2, fields: ['1', 'Smith, Jo', 'said "hi"'] },
    { line: 3, fields: ['2', 'Ann', 'two\nlines'] },
    { line: 6, fields: ['3', '', 'last'] },
  ];

  it('parses quoted fields, escaped quotes, line breaks inside quotes, CRLF and blank lines', () => {
    expect(parse(sample)).toEqual(expected);
  });

  it.each([1, 2, 3, 7])('gives the same records whatever the chunking (%i chars)', (size) => {
    expect(parse(sample, size)).toEqual(expected);
  });

  it('skips a BOM and handles CR line ends, a trailing line break and empty quoted fields', () => {
    expect(parse('\uFEFFa;b\r"";x\r', undefined, ';')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['', 'x'] },
    ]);
  });

  it('keeps stray quotes in unquoted fields', () => {
    expect(parse('a"b,"c"d')).toEqual([{ line: 1, fields: ['a"b', 'cd'] }]);
  });

  it('refuses an unterminated quote at the end', () => {
    expect(() => parse('a,"b\nc')).toThrow(new CsvSyntaxError('unterminated quoted field', 1));
  });

  it('bounds a record (memory stays bounded on a stray quote)', () => {
    const parser = new CsvParser({ maxRecordLength: 10 });
    expect(parser.push('12345,\n')).toHaveLength(1);
    expect(() => parser.push('"' + 'x'.repeat(20))).toThrow(/line 2: record is longer than 10 characters/);
  });

  it('refuses a delimiter that cannot work', () => {
    expect(() => new CsvParser({ delimiter: '"' })).toThrow();
    expect(() => new CsvParser({ delimiter: ',,' })).toThrow();
  });
});
