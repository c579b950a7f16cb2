/** A mistake in refork.yml or the environment: one line naming the key and the fix. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}
