import { ForbiddenException } from '@nestjs/common';
import { ANY_OWNER } from '../../engine';
import type { TaskRecord } from '../../model';
import { TaskAuthorizer } from './task-authorizer';

const task = { id: 't1', owner: 'alice', type: 'report' } as TaskRecord;
const alice = { owner: 'alice', roles: [] };
const root = { owner: 'root', roles: ['admin'] };

describe('TaskAuthorizer', () => {
  it("scopes an admin to every owner's tasks, anybody else to their own", () => {
    const access = new TaskAuthorizer();
    expect(access.scope(root)).toBe(ANY_OWNER);
    expect(access.scope(alice)).toBe('alice');
    expect(access.isAdmin({ owner: 'x', roles: ['Admin', 'administrator'] })).toBe(false);
  });

  it('names the admin role by adminRole, or has none', () => {
    expect(new TaskAuthorizer({ adminRole: 'ops' }).scope({ owner: 'o', roles: ['ops'] })).toBe(ANY_OWNER);
    expect(new TaskAuthorizer({ adminRole: 'ops' }).scope(root)).toBe('root');
    expect(new TaskAuthorizer({ adminRole: false }).scope(root)).toBe('root');
    expect(() => new TaskAuthorizer({ adminRole: ' ' })).toThrow(/adminRole/);
  });

  it('allows everything without hooks', async () => {
    const access = new TaskAuthorizer();
    await expect(access.assertCanSubmit(alice, 'report')).resolves.toBeUndefined();
    await expect(access.assertCan('delete', alice, task)).resolves.toBeUndefined();
    expect(access.filter('delete', alice)).toBeUndefined();
    expect(access.filter('submit', alice)).toBeUndefined();
  });

  it('refuses with a 403 unless a hook answers true (a hook that answers nothing refuses)', async () => {
    const access = new TaskAuthorizer({
      canSubmit: (_caller, type) => type === 'report',
      canCancel: () => undefined as unknown as boolean,
      canDownload: async (caller, t) => caller.owner === t.owner,
    });
    await expect(access.assertCanSubmit(alice, 'report')).resolves.toBeUndefined();
    await expect(access.assertCanSubmit(alice, 'other')).rejects.toBeInstanceOf(ForbiddenException);
    await expect(access.assertCan('cancel', alice, task)).rejects.toBeInstanceOf(ForbiddenException);
    expect(await access.allows('download', alice, task)).toBe(true);
    expect(await access.allows('download', root, task)).toBe(false);
    expect(await access.allows('delete', root, task)).toBe(true);
    expect(await access.filter('submit', alice)?.({ ...task, type: 'other' })).toBe(false);
    expect(await access.filter('download', root)?.(task)).toBe(false);
  });
});
