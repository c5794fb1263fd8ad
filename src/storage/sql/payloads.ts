import type { Kysely } from 'kysely';
import { epochSeconds } from '../../time.ts';
import type { Database } from '../schema.ts';
import type { Json } from '../types.ts';
import type { Constructor, SqlBase } from './base.ts';
import { compiledOnce } from './compiled-once.ts';

const upsertPayload = compiledOnce((db, model: string, id: string, payload: string, grant_id: string | null, user_code: string | null, uid: string | null, account_id: string | null, expires_at: number | null) =>
  db.insertInto('oidc_payloads').values({ model, id, payload, grant_id, user_code, uid, account_id, expires_at, consumed_at: null })
    .onConflict((oc) => oc.columns(['model', 'id']).doUpdateSet((eb) => ({
      payload: eb.ref('excluded.payload'),
      grant_id: eb.ref('excluded.grant_id'),
      user_code: eb.ref('excluded.user_code'),
      uid: eb.ref('excluded.uid'),
      account_id: eb.ref('excluded.account_id'),
      expires_at: eb.ref('excluded.expires_at'),
    }))));

export async function writePayload(db: Kysely<Database>, kind: string, model: string, id: string, payload: Json, expiresAt: number | null) {
  await upsertPayload(db, kind, model, id, JSON.stringify(payload),
    (payload.grantId as string | undefined) ?? null, (payload.userCode as string | undefined) ?? null,
    (payload.uid as string | undefined) ?? null, (payload.accountId as string | undefined) ?? null, expiresAt);
}

const livePayloads = (db: Kysely<Database>, model: string, now_s: number) => db.selectFrom('oidc_payloads')
  .select(['payload', 'consumed_at'])
  .where('model', '=', model)
  .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now_s)]));
const livePayloadById = compiledOnce((db, model: string, now_s: number, id: string) => livePayloads(db, model, now_s).where('id', '=', id));
const livePayloadBy = {
  uid: compiledOnce((db, model: string, now_s: number, uid: string) => livePayloads(db, model, now_s).where('uid', '=', uid)),
  user_code: compiledOnce((db, model: string, now_s: number, code: string) => livePayloads(db, model, now_s).where('user_code', '=', code)),
};
const consume = compiledOnce((db, at: number, model: string, id: string) => db.updateTable('oidc_payloads').set({ consumed_at: at })
  .where('model', '=', model).where('id', '=', id).where('consumed_at', 'is', null));

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
      await writePayload(this.db, this.kind, model, id, payload, expiresAt);
    }

    async findPayload(model: string, id: string): Promise<Json | undefined> {
      return withConsumed((await livePayloadById(this.db, this.kind, model, epochSeconds(), id)).rows[0]);
    }

    async findPayloadBy(model: string, column: 'uid' | 'user_code', value: string): Promise<Json | undefined> {
      return withConsumed((await livePayloadBy[column](this.db, this.kind, model, epochSeconds(), value)).rows[0]);
    }

    async consumePayload(model: string, id: string, at: number): Promise<boolean> {
      // compare-and-set: of two concurrent uses exactly one consumes
      const r = await consume(this.db, this.kind, at, model, id);
      return Number(r.numAffectedRows) > 0;
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
