// The secrets scan every world runs when it closes: no registered secret (API token,
// anonymization key, any database password, webhook URL) and no database URL with its
// password in anything refork printed or stored. Runs in world.close(), i.e. in each test's
// own teardown, so a leak fails the test that caused it, in whichever file and worker.

export interface Exhibit {
  /** Where the text came from (`output #3`, `refork_run_events`), for the failure message. */
  where: string;
  text: string;
}

/** A postgres URL whose password is shown (anything but refork's `***`). */
const URL_WITH_PASSWORD = /postgres(?:ql)?:\/\/[^\s:@/"']+:([^\s@/"']+)@/gi;

/** Secrets shorter than this would match ordinary words; everything refork registers is longer. */
const MIN_SECRET_LENGTH = 8;

export function findLeaks(exhibits: readonly Exhibit[], secrets: Iterable<string>): string[] {
  const wanted = [...new Set(secrets)].filter((s) => s.length >= MIN_SECRET_LENGTH);
  const leaks: string[] = [];
  for (const { where, text } of exhibits) {
    for (const secret of wanted) {
      const at = text.indexOf(secret);
      if (at >= 0)
        leaks.push(
          `${where} contains a secret (${secret.slice(0, 3)}…, ${secret.length} chars) near ${JSON.stringify(context(text, at, secret))}`,
        );
    }
    for (const match of text.matchAll(URL_WITH_PASSWORD)) {
      if (match[1] !== '***' && match[1] !== '%2A%2A%2A')
        leaks.push(`${where} shows a database URL with its password (${match[0].replace(match[1] ?? '', '<password>')})`);
    }
  }
  return leaks;
}

function context(text: string, at: number, secret: string): string {
  return `${text.slice(Math.max(0, at - 40), at)}<secret>${text.slice(at + secret.length, at + secret.length + 40)}`;
}

/** The secret parts of an environment a CLI call got (what refork must never print). */
export function secretsOfEnv(env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  for (const name of ['HEROKU_API_KEY', 'REFORK_ANONYMIZE_KEY', 'REFORK_WEBHOOK_URL', 'REFORK_WEBHOOK_SECRET']) {
    const value = env[name];
    if (value) out.push(value);
  }
  for (const name of ['REFORK_DATABASE_URL', 'DATABASE_URL']) {
    const password = passwordOf(env[name]);
    if (password) out.push(password);
  }
  return out;
}

export function passwordOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}
