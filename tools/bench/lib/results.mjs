import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');

/** Writes tools/bench/results/<file> (formatted as `npm run format` would), then prints the table. */
export async function writeResults(file, results, table) {
  mkdirSync(dir, { recursive: true });
  const prettier = await import('prettier').catch(() => null);
  let json = JSON.stringify(results, null, 2);
  if (prettier) json = await prettier.format(json, { parser: 'json', printWidth: 120 });
  writeFileSync(join(dir, file), json);
  console.log(table);
  console.log(`\nwritten tools/bench/results/${file} (${results.seconds} s)`);
}
