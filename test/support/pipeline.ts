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

/**
 * Fix-ups of worlds made with `fixups: true` (docs/fixups.md's typical uses on the demo data):
 * known names for staff test accounts, written into a masked column; a literal that stands for a
 * password and must never be seen outside the fork; and a counter whose double application the
 * invariants would see (order 1's total moves by exactly FIXUP_BUMP from production's).
 */
export const FIXUP_SECRET = 'staff-pass-7Qx93LmZ';
export const FIXUP_BUMP = 1_000_000;
export const FIXUPS = [
  `UPDATE customers SET full_name = 'QA Staff ' || id WHERE id <= 3 AND '${FIXUP_SECRET}' IS NOT NULL`,
  `UPDATE orders SET total_cents = total_cents + ${FIXUP_BUMP} WHERE id = 1`,
  `UPDATE orders SET shipping_address = 'Sandbox Warehouse' WHERE id = 2`,
];

/** A cron instant an hour ago (UTC): due at the first look, never again. */
export function onceCron(now = new Date()): string {
  const at = new Date(now.getTime() - 60 * 60 * 1000);
  return `${at.getUTCMinutes()} ${at.getUTCHours()} ${at.getUTCDate()} ${at.getUTCMonth() + 1} *`;
}
