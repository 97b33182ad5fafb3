import { z } from 'zod';
import { inputJsonSchema, type StandardSchemaV1 } from './standard-schema';

describe('inputJsonSchema', () => {
  it("asks the validator for the JSON Schema of its input (defaults make a field optional; transforms don't matter)", () => {
    const schema = z
      .object({ n: z.number().int().default(1), name: z.string().transform((s) => s.trim()) })
      .meta({ title: 'T' });
    expect(inputJsonSchema(schema)).toMatchObject({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      title: 'T',
      properties: { n: { type: 'integer', default: 1 }, name: { type: 'string' } },
      required: ['name'],
    });
  });

  it('is undefined without a validator, without a converter, or when the converter refuses', () => {
    const bare: StandardSchemaV1 = { '~standard': { version: 1, vendor: 'x', validate: (value) => ({ value }) } };
    const refusing = {
      '~standard': {
        ...bare['~standard'],
        jsonSchema: {
          input: () => {
            throw new Error('cannot');
          },
          output: () => ({}),
        },
      },
    } as StandardSchemaV1;
    expect(inputJsonSchema(undefined)).toBeUndefined();
    expect(inputJsonSchema(bare)).toBeUndefined();
    expect(inputJsonSchema(refusing)).toBeUndefined();
    expect(inputJsonSchema(z.object({ at: z.date() }))).toBeUndefined();
  });
});
