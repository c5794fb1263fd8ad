import type { Kysely } from 'kysely';
import { epochSeconds } from '../../time.ts';
import type { Database } from '../schema.ts';
import type { Json } from '../types.ts';
import type { Constructor, SqlBase } from './base.ts';

export async function writePayload(db: Kysely<Database>, model: string, id: string, payload: Json, expiresAt: number | null) {
  const row = {
    model,
    id,
    payload: JSON.stringify(payload),
    grant_id: (payload.grantId as string | undefined) ?? null,
    user_code: (payload.userCode as string | undefined) ?? null,
    uid: (payload.uid as string | undefined) ?? null,
    account_id: (payload.accountId as string | undefined) ?? null,
    expires_at: expiresAt,
    consumed_at: null,
  };
  await db.insertInto('oidc_payloads').values(row)
    .onConflict((oc) => oc.columns(['model', 'id']).doUpdateSet({
      payload: row.payload,
      grant_id: row.grant_id,
      user_code: row.user_code,
      uid: row.uid,
      account_id: row.account_id,
      expires_at: row.expires_at,
    }))
    .execute();
}

function withConsumed(row: { payload: string; consumed_at: number | null } | undefined): Json | undefined {
  if (!row) return undefined;
  const payload = JSON.parse(row.payload) as Json;
  if (row.consumed_at != null) payload.consumed = Number(row.consumed_at);
  return payload;
}

/** oidc-provider's models (provider/adapter.ts): upsert, find, consume, revoke, sweep. */
export function withPayloads<B extends Constructor<SqlBase>>(Base: B) {
  return class SqlPayloads extends Base {
    async upsertPayload(model: string, id: string, payload: Json, expiresAt: number | null): Promise<void> {
      await writePayload(this.db, model, id, payload, expiresAt);
    }

    private livePayloads(model: string) {
      return this.db.selectFrom('oidc_payloads')
        .select(['payload', 'consumed_at'])
        .where('model', '=', model)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', epochSeconds())]));
    }

    async findPayload(model: string, id: string): Promise<Json | undefined> {
      return withConsumed(await this.livePayloads(model).where('id', '=', id).executeTakeFirst());
    }

    async findPayloadBy(model: string, column: 'uid' | 'user_code', value: string): Promise<Json | undefined> {
      return withConsumed(await this.livePayloads(model).where(column, '=', value).executeTakeFirst());
    }

    async consumePayload(model: string, id: string, at: number): Promise<boolean> {
      // compare-and-set: of two concurrent uses exactly one consumes
      const r = await this.db.updateTable('oidc_payloads').set({ consumed_at: at })
        .where('model', '=', model).where('id', '=', id).where('consumed_at', 'is', null).executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    }

    async revokeGrant(grantId: string): Promise<void> {
      await this.db.transaction().execute(async (trx) => {
        await trx.deleteFrom('oidc_payloads').where('grant_id', '=', grantId).execute();
        await trx.deleteFrom('oidc_payloads').where('model', '=', 'Grant').where('id', '=', grantId).execute();
      });
    }

    async destroyPayload(model: string, id: string): Promise<void> {
      await this.db.deleteFrom('oidc_payloads').where('model', '=', model).where('id', '=', id).execute();
    }

    async revokeByGrantId(model: string, grantId: string): Promise<void> {
      await this.db.deleteFrom('oidc_payloads').where('model', '=', model).where('grant_id', '=', grantId).execute();
    }

    async sweepExpiredPayloads(at: number, limit: number): Promise<number> {
      // A provider Session that an SSO record holds ends through endSession (its applications are
      // told); one without (never signed in: a cookie-less end-session request) is only a row.
      const r = await this.db.deleteFrom('oidc_payloads')
        .where((eb) => eb(eb.refTuple('model', 'id'), 'in', eb.selectFrom('oidc_payloads as p').select(['p.model', 'p.id'])
          .where('p.expires_at', '<=', at)
          .where((w) => w.or([
            w('p.model', '!=', 'Session'),
            w.not(w.exists(w.selectFrom('sso_sessions as s').select('s.uid').whereRef('s.uid', '=', 'p.uid'))),
          ]))
          .limit(limit)
          .$asTuple('model', 'id')))
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    }
  };
}
