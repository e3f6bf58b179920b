import { openDb, migrate } from '/work/main/src/db/index.js';
import { createAccount, createApiKey } from '/work/main/src/billing/index.js';
const db = await openDb({ databaseUrl: 'postgres://postgres@127.0.0.1:5432/exp', dataDir: '/tmp/expdata' });
await migrate(db);
await db.query(`INSERT INTO plans (id, name, monthly_credits, concurrency, rate_limit_per_minute) VALUES ('enterprise', 'E', 0, 1000000, 2000000000) ON CONFLICT (id) DO NOTHING`);
const ids: string[] = [];
for (let i = 0; i < 10; i++) {
  const id = await createAccount(db, { name: `a${i}`, planId: 'enterprise', testCredits: 100_000_000_000, liveCredits: 0, actor: 'x' });
  const k = await createApiKey(db, id, 'test');
  ids.push(`${id} ${k.id}`);
}
console.log(ids.join('\n'));
await db.close();
