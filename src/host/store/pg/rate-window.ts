/**
 * Provider rate limits shared by every process on the database (docs/scale-out.md "Rate limits"):
 * the sliding minute of requests and tokens per provider lives in `statepipe.rate_grants`, and
 * each grant is ONE statement (`statepipe.rate_acquire`): under a per-provider advisory lock it
 * forgets grants older than a minute, and either records a grant or answers how long to wait.
 * Times are the database's clock, so workers on machines whose clocks differ still agree. A 429's
 * Retry-After holds the provider back for every process (`statepipe.rate_pauses`).
 */
import type pg from 'pg';
import type { SharedWindow } from '../../providers/limits.js';

/** Migration 5 of the PostgreSQL schema (schema.ts). */
export const RATE_LIMITS_V5 = /* sql */ `
  CREATE TABLE statepipe.rate_grants (
    id       bigserial PRIMARY KEY,
    provider text COLLATE "C" NOT NULL,
    at_ms    bigint NOT NULL,
    tokens   bigint NOT NULL
  );
  CREATE INDEX rate_grants_provider ON statepipe.rate_grants (provider, at_ms);
  CREATE TABLE statepipe.rate_pauses (
    provider text COLLATE "C" PRIMARY KEY,
    until_ms bigint NOT NULL
  );
  -- grant_id set: granted (wait_ms 0); else wait wait_ms before asking again.
  CREATE FUNCTION statepipe.rate_acquire(p text, rpm bigint, tpm bigint, want bigint,
                                         OUT grant_id bigint, OUT wait_ms bigint)
  LANGUAGE plpgsql AS $$
  DECLARE
    t bigint := statepipe.now_ms();
    n bigint;
    used bigint;
    oldest bigint;
    paused bigint;
  BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('statepipe.rate'), hashtext(p));
    DELETE FROM statepipe.rate_grants WHERE provider = p AND at_ms <= t - 60000;
    SELECT until_ms INTO paused FROM statepipe.rate_pauses WHERE provider = p;
    IF paused IS NOT NULL AND paused > t THEN
      wait_ms := paused - t;
      RETURN;
    END IF;
    SELECT count(*), COALESCE(sum(tokens), 0), min(at_ms) INTO n, used, oldest
      FROM statepipe.rate_grants WHERE provider = p;
    -- A request bigger than the whole token budget goes alone, once the window is empty.
    IF (rpm IS NOT NULL AND n >= rpm) OR (tpm IS NOT NULL AND n > 0 AND used + want > tpm) THEN
      wait_ms := GREATEST(1, oldest + 60000 - t);
      RETURN;
    END IF;
    INSERT INTO statepipe.rate_grants (provider, at_ms, tokens) VALUES (p, t, want) RETURNING id INTO grant_id;
    wait_ms := 0;
  END $$;
`;

export class PgRateWindow implements SharedWindow {
  constructor(
    private readonly pool: pg.Pool,
    private readonly provider: string,
    private readonly rpm: number | undefined,
    private readonly tpm: number | undefined,
  ) {}

  async acquire(tokens: number): Promise<{ grant?: string; waitMs: number }> {
    const { rows } = await this.pool.query<{ grant_id: string | null; wait_ms: string }>(
      'SELECT grant_id, wait_ms FROM statepipe.rate_acquire($1, $2, $3, $4)',
      [this.provider, this.rpm ?? null, this.tpm ?? null, Math.ceil(tokens)],
    );
    const r = rows[0]!;
    return r.grant_id === null ? { waitMs: Number(r.wait_ms) } : { grant: r.grant_id, waitMs: 0 };
  }

  /** The tokens the request really used (for the next grants' token window). */
  async settle(grant: string, tokens: number): Promise<void> {
    await this.pool.query('UPDATE statepipe.rate_grants SET tokens = $2 WHERE id = $1', [grant, Math.ceil(tokens)]);
  }

  async pause(ms: number): Promise<void> {
    await this.pool.query(
      `INSERT INTO statepipe.rate_pauses (provider, until_ms) VALUES ($1, statepipe.now_ms() + $2)
       ON CONFLICT (provider) DO UPDATE SET until_ms = GREATEST(statepipe.rate_pauses.until_ms, EXCLUDED.until_ms)`,
      [this.provider, Math.ceil(ms)],
    );
  }
}
