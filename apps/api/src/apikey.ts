import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { NestFactory } from '@nestjs/core';
import { ApiKeys, ApiKeysModule, taskModuleOptionsFromEnv, type ApiKeyView } from '@stepwise/tasks';

const USAGE = `Usage: npm run apikey -- <command>

  create --owner <owner> [--roles <role,role>] [--name <text>] [--json]
      creates a key for <owner> and prints it, once: it is stored hashed
  list [--json]
      every key: id, owner, roles, name, created, revoked
  revoke <id>
      refuses the key from now on

The database is the one the apps use (DATABASE_URL, or the SQLite file under DATA_DIR).
The API checks keys when TASKS_AUTH=apikey; the role "admin" sees every owner's tasks.`;

/** Bad usage: printed with the usage, exit code 2. */
class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseCommand(argv);
  const [command, ...rest] = positionals;
  if (!command || values.help) {
    process.stdout.write(`${USAGE}\n`);
    return command || values.help ? 0 : 2;
  }
  if (!['create', 'list', 'revoke'].includes(command)) throw new UsageError(`unknown command "${command}"`);
  // Configuration first: a bad variable is one clear line, not a stack.
  const options = taskModuleOptionsFromEnv();
  const app = await NestFactory.createApplicationContext(ApiKeysModule.forRoot(options), {
    logger: ['error', 'warn'],
    abortOnError: false,
  });
  try {
    const keys = app.get(ApiKeys);
    switch (command) {
      case 'create': {
        if (rest.length > 0) throw new UsageError(`create takes no argument (got "${rest[0]}")`);
        if (!values.owner) throw new UsageError('create needs --owner <owner>');
        const roles = (values.roles ?? '')
          .split(',')
          .map((role) => role.trim())
          .filter(Boolean);
        const { key, apiKey } = await keys.create({ owner: values.owner, roles, name: values.name });
        if (values.json) {
          process.stdout.write(`${JSON.stringify({ key, ...apiKey })}\n`);
        } else {
          process.stdout.write(
            `Created API key ${apiKey.id} for owner "${apiKey.owner}"` +
              `${apiKey.roles.length ? ` with roles ${apiKey.roles.join(', ')}` : ''}.\n` +
              'It is shown this once and stored hashed: copy it now.\n\n' +
              `${key}\n\n` +
              `Send it as "Authorization: Bearer <key>" or "X-Api-Key: <key>" (TASKS_AUTH=apikey).\n`,
          );
        }
        return 0;
      }
      case 'list': {
        const all = await keys.list();
        process.stdout.write(values.json ? `${JSON.stringify(all)}\n` : table(all));
        return 0;
      }
      default: {
        if (rest.length !== 1) throw new UsageError('revoke needs the id of one key (see list)');
        if (!(await keys.revoke(rest[0]))) {
          process.stderr.write(`stepwise apikey: no active API key with id "${rest[0]}"\n`);
          return 1;
        }
        process.stdout.write(`Revoked API key ${rest[0].trim().toLowerCase()}.\n`);
        return 0;
      }
    }
  } finally {
    await app.close();
  }
}

function parseCommand(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        owner: { type: 'string' },
        roles: { type: 'string' },
        name: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function table(keys: ApiKeyView[]): string {
  if (keys.length === 0) return 'No API key yet: npm run apikey -- create --owner <owner>\n';
  const rows = keys.map((k) => [
    k.id,
    k.owner,
    k.roles.join(',') || '-',
    k.name ?? '-',
    k.createdAt,
    k.revokedAt ? `revoked ${k.revokedAt}` : 'active',
  ]);
  const header = ['id', 'owner', 'roles', 'name', 'created', 'state'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return (
    [header, ...rows]
      .map((r) =>
        r
          .map((cell, i) => cell.padEnd(widths[i]))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`stepwise apikey: ${message}\n`);
    if (error instanceof UsageError) process.stderr.write(`\n${USAGE}\n`);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
