// Generated names in Heroku's styles: add-ons `postgresql-<word>-<number>`, attachments
// `HEROKU_POSTGRESQL_<COLOR>`.
import { randomInt } from 'node:crypto';

const WORDS = ['swiftly', 'concave', 'convex', 'curly', 'sinuous', 'rigid', 'tapered', 'opaque', 'flat', 'shallow', 'solid', 'angular'];
const COLORS = [
  'AMBER',
  'AQUA',
  'BLACK',
  'BLUE',
  'BRONZE',
  'BROWN',
  'CHARCOAL',
  'COBALT',
  'COPPER',
  'CRIMSON',
  'CYAN',
  'GOLD',
  'GRAY',
  'GREEN',
  'IVORY',
  'JADE',
  'LIME',
  'MAGENTA',
  'MAROON',
  'MAUVE',
  'NAVY',
  'OLIVE',
  'ONYX',
  'ORANGE',
  'PINK',
  'PUCE',
  'PURPLE',
  'RED',
  'ROSE',
  'SILVER',
  'TEAL',
  'TOPAZ',
  'VIOLET',
  'WHITE',
  'YELLOW',
];

function pick<T>(items: readonly T[]): T {
  const item = items[randomInt(items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

export function addonName(taken: (name: string) => boolean): string {
  for (;;) {
    const name = `postgresql-${pick(WORDS)}-${randomInt(10_000, 99_999)}`;
    if (!taken(name)) return name;
  }
}

export function colorAttachmentName(taken: (name: string) => boolean): string {
  const free = COLORS.map((color) => `HEROKU_POSTGRESQL_${color}`).filter((name) => !taken(name));
  if (free.length > 0) return pick(free);
  for (let n = 2; ; n += 1) {
    const name = `HEROKU_POSTGRESQL_${pick(COLORS)}_${n}`;
    if (!taken(name)) return name;
  }
}
