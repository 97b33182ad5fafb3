import { ApiKeys } from './api-keys';
import { describeSchemeContract, startAuthApp } from '../testing/auth-app';

describeSchemeContract('API keys (TASKS_AUTH=apikey)', async () => {
  const api = await startAuthApp({ auth: { scheme: 'apikey' } });
  const keys = api.app.get(ApiKeys);
  const alice = (await keys.create({ owner: 'alice' })).key;
  const bob = (await keys.create({ owner: 'bob', name: 'second' })).key;
  const admin = (await keys.create({ owner: 'root', roles: ['admin'] })).key;
  const revoked = await keys.create({ owner: 'alice' });
  await keys.revoke(revoked.apiKey.id);
  // Right id, wrong secret: the hash comparison refuses it.
  const forged = `${alice.slice(0, 37)}${alice.slice(37, 38) === 'A' ? 'B' : 'A'}${alice.slice(38)}`;
  return {
    api,
    alice: { authorization: `Bearer ${alice}` },
    // The other header, for the other owner.
    bob: { 'x-api-key': bob },
    admin: { authorization: `Bearer ${admin}` },
    wrong: {
      malformed: { authorization: 'Bearer not-a-key' },
      unknown: { authorization: `Bearer swk_${'0'.repeat(32)}_${'A'.repeat(43)}` },
      forged: { authorization: `Bearer ${forged}` },
      revoked: { 'x-api-key': revoked.key },
      'not bearer': { authorization: `Basic ${Buffer.from(`alice:${alice}`).toString('base64')}` },
    },
    aliceAuth: { token: alice },
  };
});
