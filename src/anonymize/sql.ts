// Bind-parameter bookkeeping for one statement: values (the key included) travel beside the SQL
// text as $n, so neither lands in the statement text, pg_stat_activity or a server log line.
export class SqlParams {
  readonly values: unknown[] = [];
  private keyRef: string | undefined;

  constructor(private readonly key: string) {}

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }

  /** The HMAC key's placeholder, bound once per statement however many columns use it. */
  keyParam(): string {
    this.keyRef ??= this.add(this.key);
    return this.keyRef;
  }
}
