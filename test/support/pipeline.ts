// The example pipeline the end-to-end worlds share: masking rules for the demo data set, and a
// schedule that is due once.

export const RULES = {
  tables: {
    customers: { columns: { id: 'safe', full_name: 'hash', email: 'email', phone: null, created_at: 'safe' } },
    orders: {
      columns: {
        id: 'safe',
        customer_id: 'safe',
        total_cents: 'safe',
        shipping_address: { strategy: 'constant', value: '1 Example Street' },
        created_at: 'safe',
      },
    },
    sessions: 'truncate',
  },
};

/** A cron instant an hour ago (UTC): due at the first look, never again. */
export function onceCron(now = new Date()): string {
  const at = new Date(now.getTime() - 60 * 60 * 1000);
  return `${at.getUTCMinutes()} ${at.getUTCHours()} ${at.getUTCDate()} ${at.getUTCMonth() + 1} *`;
}
