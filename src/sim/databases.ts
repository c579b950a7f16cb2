// Real PostgreSQL databases behind the add-ons: one database and one non-superuser role per
// add-on on the server given to the simulator. Every database and role made here is dropped
// on close().
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { transferOwnership } from './ownership.js';
import { quoteIdent, quoteLiteral } from './sql.js';

export interface DatabaseCredential {
  database: string;
  user: string;
  password: string;
  host: string;
  port: number;
}

export interface CreateDatabaseOptions {
  /** Existing database to copy (CREATE DATABASE ... TEMPLATE). */
  template?: string;
  /** SQL run as superuser in the new database before ownership moves to the add-on role. */
  seedSql?: string;
  /** Followers refuse writes by default. */
  readOnly?: boolean;
  /** Whether the role may log in right away (forks only may once `available`). */
  login: boolean;
}

const SOURCE_BUSY = '55006';
/** How long a fork's copy waits for the source's other sessions to end before it cuts them. */
const SOURCE_WAIT_MS = 10_000;
const DEPENDENT_OBJECTS = '2BP01';

function pgCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

export class DatabaseServer {
  private readonly pool: pg.Pool;
  private readonly server: URL;
  private readonly databases = new Set<string>();
  private readonly roles = new Set<string>();

  constructor(superuserUrl: string) {
    this.server = new URL(superuserUrl);
    this.pool = new pg.Pool({ connectionString: superuserUrl, max: 4 });
    // A connection killed by the server must not crash the process; the next query reconnects.
    this.pool.on('error', () => {});
  }

  urlFor(credential: DatabaseCredential): string {
    const url = new URL(`postgres://${credential.host}:${credential.port}/`);
    url.username = credential.user;
    url.password = credential.password;
    url.pathname = `/${credential.database}`;
    return url.toString();
  }

  /** Superuser URL of one database on the server. */
  adminUrlFor(database: string): string {
    const url = new URL(this.server.toString());
    url.pathname = `/${database}`;
    return url.toString();
  }

  async exists(database: string): Promise<boolean> {
    const result = await this.pool.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    return result.rowCount === 1;
  }

  async create(options: CreateDatabaseOptions): Promise<DatabaseCredential> {
    const suffix = randomBytes(6).toString('hex');
    const credential: DatabaseCredential = {
      database: `sim_d${suffix}`,
      user: `sim_u${suffix}`,
      password: randomBytes(24).toString('hex'),
      host: this.server.hostname,
      port: Number(this.server.port || 5432),
    };
    this.roles.add(credential.user);
    await this.pool.query(
      `CREATE ROLE ${quoteIdent(credential.user)} ${options.login ? 'LOGIN' : 'NOLOGIN'} NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD ${quoteLiteral(credential.password)}`,
    );
    this.databases.add(credential.database);
    if (options.template === undefined) {
      await this.pool.query(`CREATE DATABASE ${quoteIdent(credential.database)}`);
    } else {
      await this.copyFrom(options.template, credential.database);
    }
    await this.pool.query(`ALTER DATABASE ${quoteIdent(credential.database)} OWNER TO ${quoteIdent(credential.user)}`);
    // Like Heroku's shared servers: a role reaches only its own database.
    await this.pool.query(`REVOKE ALL ON DATABASE ${quoteIdent(credential.database)} FROM PUBLIC`);
    await this.inDatabase(credential.database, async (client) => {
      if (options.seedSql) await client.query(options.seedSql);
      await transferOwnership(client, credential.user);
    });
    // Set last: the seed and the ownership transfer above write.
    if (options.readOnly) {
      await this.pool.query(`ALTER DATABASE ${quoteIdent(credential.database)} SET default_transaction_read_only = on`);
    }
    return credential;
  }

  /**
   * CREATE DATABASE ... TEMPLATE needs the source to itself, which a Heroku fork does not: its
   * production keeps serving. So the copy waits for the source's sessions to end (refork's own are
   * short reads), and only a session that outlives SOURCE_WAIT_MS (a test fixture's idle pool) is
   * cut, as a last resort that Heroku would never take.
   */
  private async copyFrom(source: string, target: string): Promise<void> {
    const cutAt = Date.now() + SOURCE_WAIT_MS;
    for (;;) {
      if (Date.now() >= cutAt) {
        await this.pool.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [
          source,
        ]);
      }
      try {
        await this.pool.query(`CREATE DATABASE ${quoteIdent(target)} TEMPLATE ${quoteIdent(source)}`);
        return;
      } catch (error) {
        if (pgCode(error) !== SOURCE_BUSY || Date.now() >= cutAt + SOURCE_WAIT_MS) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  /** The database's size on disk, as Heroku's data API reports it (`num_bytes`); undefined once it is gone. */
  async sizeOf(database: string): Promise<number | undefined> {
    const result = await this.pool.query<{ bytes: string }>(
      'SELECT pg_database_size(oid)::text AS bytes FROM pg_database WHERE datname = $1',
      [database],
    );
    const bytes = result.rows[0]?.bytes;
    return bytes === undefined ? undefined : Number(bytes);
  }

  async allowLogin(user: string): Promise<void> {
    await this.pool.query(`ALTER ROLE ${quoteIdent(user)} LOGIN`);
  }

  async drop(credential: DatabaseCredential): Promise<void> {
    await this.pool.query(`DROP DATABASE IF EXISTS ${quoteIdent(credential.database)} WITH (FORCE)`);
    this.databases.delete(credential.database);
    await this.dropRole(credential.user);
  }

  /** A role granted rights in a database we did not make cannot be dropped; it is retried at close(). */
  private async dropRole(user: string): Promise<void> {
    try {
      await this.pool.query(`DROP ROLE IF EXISTS ${quoteIdent(user)}`);
      this.roles.delete(user);
    } catch (error) {
      if (pgCode(error) !== DEPENDENT_OBJECTS) throw error;
    }
  }

  private async inDatabase<T>(database: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: this.adminUrlFor(database) });
    client.on('error', () => {});
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }

  async close(): Promise<void> {
    try {
      for (const database of [...this.databases]) {
        await this.pool.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`);
        this.databases.delete(database);
      }
      for (const user of [...this.roles]) await this.dropRole(user);
    } finally {
      await this.pool.end();
    }
  }
}
