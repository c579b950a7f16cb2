// Bind-parameter bookkeeping for one statement: values (the key material included) travel beside
// the SQL text as $n, so none of them lands in the statement text, pg_stat_activity or a server log line.
import { hmacPads } from './hmac.js';

export class SqlParams {
  readonly values: unknown[] = [];
  private keyRef: string | undefined;
  private padRefs: { inner: string; outer: string } | undefined;
  private readonly sharedRefs = new Map<string, string>();

  constructor(private readonly key: string) {}

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }

  /** A value bound once per statement however many expressions read it (a fake dictionary). */
  shared(name: string, value: unknown): string {
    let ref = this.sharedRefs.get(name);
    if (!ref) this.sharedRefs.set(name, (ref = this.add(value)));
    return ref;
  }

  /** The raw key's placeholder (for `{key}` in a custom sql rule), bound once per statement. */
  keyParam(): string {
    this.keyRef ??= this.add(this.key);
    return this.keyRef;
  }

  /** The HMAC pads' placeholders, bound once per statement however many columns use them. */
  padParams(): { inner: string; outer: string } {
    if (!this.padRefs) {
      const pads = hmacPads(this.key);
      this.padRefs = { inner: this.add(pads.inner), outer: this.add(pads.outer) };
    }
    return this.padRefs;
  }
}
