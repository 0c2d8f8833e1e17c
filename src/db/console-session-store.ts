import type { Knex } from 'knex';
import type { TokenRole } from '../http/access';
import { fromJson, toDbTime, toJson } from './columns';

/** A one-time message for the next page a person sees. */
export interface ConsoleFlash {
  kind: 'notice' | 'error';
  text: string;
}

/** A signed-in console session, found by the SHA-256 of the id in its cookie. */
export interface ConsoleSessionRecord {
  idHash: string;
  tokenName: string;
  /** SHA-256 (hex) of the bearer token signed in with: a token changed in the configuration ends the session. */
  tokenHash: string;
  role: TokenRole;
  csrfToken: string;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
}

/** The console's sessions, shared by every API process through the database. */
export interface ConsoleSessionStore {
  create(session: ConsoleSessionRecord): Promise<void>;
  /** The session while it is live: before its absolute end and seen within `idleMs`. */
  findLive(idHash: string, now: Date, idleMs: number): Promise<ConsoleSessionRecord | null>;
  touch(idHash: string, now: Date): Promise<void>;
  /** Takes the one-time message of the session (and clears it). */
  takeFlash(idHash: string): Promise<ConsoleFlash | null>;
  setFlash(idHash: string, flash: ConsoleFlash): Promise<void>;
  remove(idHash: string): Promise<void>;
  /** Deletes sessions past their absolute end or idle longer than `idleMs`; returns how many. */
  removeExpired(now: Date, idleMs: number): Promise<number>;
}

interface Row {
  id_hash: string;
  token_name: string;
  token_hash: string;
  role: string;
  csrf_token: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  flash: string | null;
}

export class KnexConsoleSessionStore implements ConsoleSessionStore {
  constructor(private readonly db: Knex) {}

  async create(session: ConsoleSessionRecord): Promise<void> {
    await this.db('console_sessions').insert({
      id_hash: session.idHash,
      token_name: session.tokenName,
      token_hash: session.tokenHash,
      role: session.role,
      csrf_token: session.csrfToken,
      created_at: toDbTime(session.createdAt),
      last_seen_at: toDbTime(session.lastSeenAt),
      expires_at: toDbTime(session.expiresAt),
      flash: null,
    });
  }

  async findLive(idHash: string, now: Date, idleMs: number): Promise<ConsoleSessionRecord | null> {
    const row: Row | undefined = await this.db('console_sessions')
      .where({ id_hash: idHash })
      .where('expires_at', '>', toDbTime(now))
      .where('last_seen_at', '>', toDbTime(new Date(now.getTime() - idleMs)))
      .first();
    return row ? toRecord(row) : null;
  }

  async touch(idHash: string, now: Date): Promise<void> {
    await this.db('console_sessions')
      .where({ id_hash: idHash })
      .update({ last_seen_at: toDbTime(now) });
  }

  async takeFlash(idHash: string): Promise<ConsoleFlash | null> {
    const row: Pick<Row, 'flash'> | undefined = await this.db('console_sessions')
      .where({ id_hash: idHash })
      .whereNotNull('flash')
      .first('flash');
    if (!row) return null;
    await this.db('console_sessions').where({ id_hash: idHash }).update({ flash: null });
    return fromJson<ConsoleFlash>(row.flash);
  }

  async setFlash(idHash: string, flash: ConsoleFlash): Promise<void> {
    await this.db('console_sessions')
      .where({ id_hash: idHash })
      .update({ flash: toJson(flash) });
  }

  async remove(idHash: string): Promise<void> {
    await this.db('console_sessions').where({ id_hash: idHash }).delete();
  }

  async removeExpired(now: Date, idleMs: number): Promise<number> {
    return this.db('console_sessions')
      .where('expires_at', '<=', toDbTime(now))
      .orWhere('last_seen_at', '<=', toDbTime(new Date(now.getTime() - idleMs)))
      .delete();
  }
}

function toRecord(row: Row): ConsoleSessionRecord {
  return {
    idHash: row.id_hash,
    tokenName: row.token_name,
    tokenHash: row.token_hash,
    role: row.role as TokenRole,
    csrfToken: row.csrf_token,
    createdAt: new Date(row.created_at),
    lastSeenAt: new Date(row.last_seen_at),
    expiresAt: new Date(row.expires_at),
  };
}
