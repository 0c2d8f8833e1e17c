import type { Knex } from 'knex';

/**
 * Sessions of the provider console (README "The provider console"). Kept in the database so that every API process
 * knows them. The cookie carries a random session id; only its SHA-256 is stored, with the name and a SHA-256 of the
 * bearer token the person signed in with (never the token: it is read from the configuration by name, and a changed
 * token ends its sessions).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('console_sessions', (t) => {
    /** SHA-256 (hex) of the session id in the cookie. */
    t.string('id_hash', 64).primary();
    t.string('token_name', 128).notNullable();
    /** SHA-256 (hex) of the bearer token. */
    t.string('token_hash', 64).notNullable();
    t.string('role', 16).notNullable();
    /** The per-session token every console form carries. */
    t.string('csrf_token', 64).notNullable();
    t.string('created_at', 32).notNullable();
    t.string('last_seen_at', 32).notNullable();
    /** The absolute end, whatever the activity. */
    t.string('expires_at', 32).notNullable();
    /** JSON of a one-time message shown on the next page (after a POST and its redirect). */
    t.text('flash');
    t.index(['expires_at'], 'console_sessions_expires_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('console_sessions');
}
