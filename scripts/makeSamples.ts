// Writes samples/Tracker_ABC Ltd.xml and samples/contacts.csv: invented people and clicks, made
// from a fixed seed so that running it again gives the same files byte for byte.
// Run: npm run samples
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatTrackerFile, type ClickFields } from '../src/tracker/trackerWriter';

export const SAMPLES_DIR = path.join(__dirname, '..', 'samples');
export const TRACKER_FILE = 'Tracker_ABC Ltd.xml';
export const CONTACTS_FILE = 'contacts.csv';

export interface SampleContact {
  contactId: string;
  name: string;
  email: string;
  client: string;
}

export interface Samples {
  contacts: SampleContact[];
  clicks: ClickFields[];
  /** How many entries repeat an earlier one exactly (a retried request, say). */
  duplicates: number;
  trackerXml: string;
  contactsCsv: string;
}

/** mulberry32: a tiny seeded generator; quality is plenty for sample data. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST_NAMES = [
  'Amelia',
  'Bilal',
  'Carys',
  'Dmitri',
  'Eleanor',
  'Farah',
  'Gareth',
  'Hana',
  'Ivo',
  'Jasmine',
  'Kwame',
  'Lucía',
  'Mateo',
  'Niamh',
  'Oskar',
  'Priya',
  'Quentin',
  'Rosa',
  'Siobhán',
  'Tomasz',
  'Ursula',
  'Vikram',
  'Wen',
  'Xavier',
  'Yusuf',
  'Zofia',
  'Aled',
  'Bronwen',
  'Chidi',
  'Delphine',
];
const SURNAMES = [
  'Ashdown',
  'Brierley',
  'Castellano',
  'Dunmore',
  'Ellery',
  'Fairbairn',
  'Greaves',
  'Hollins',
  'Ingram',
  'Jessop',
  'Kettering',
  "O'Rourke",
  'Lindqvist',
  'Marlowe',
  'Nakamura',
  'Okafor',
  'Pellegrini',
  'Quayle',
  'Redfern',
  'Sandoval',
  'Thistlewood',
  'Underhill',
  'Varga',
  'Whitlock',
  'Yardley',
  'Zeller',
  'Abernethy',
  'Blackwood',
  'Cartwright',
  'Devereux',
];
// The last two contacts have no client: private individuals on the mailing list.
const CLIENTS = [
  'ABC Ltd',
  'Northwind Traders',
  'Blue Harbour Dental',
  'Kestrel Accounting',
  'Smith, Jones & Partners',
];
const DOMAINS = ['example.com', 'example.org', 'example.net'];

/** Each email template is sent once; its clicks come in over the following days. */
const TEMPLATES: { name: string; sent: string; links: string[] }[] = [
  { name: 'New Year Welcome', sent: '2026-01-12', links: ['Getting started', 'Contact us'] },
  { name: 'February Update', sent: '2026-02-09', links: ['Read more', 'Price list'] },
  {
    name: 'Spring Newsletter',
    sent: '2026-03-14',
    links: ['Book a review', 'Price list', 'Unsubscribe'],
  },
  { name: 'Offers & Events', sent: '2026-04-20', links: ['See the offers', 'Register now'] },
  { name: 'Summer Webinar Invite', sent: '2026-05-26', links: ['Register now', 'Agenda'] },
  { name: 'Renewal Reminder', sent: '2026-06-15', links: ['Renew online', 'Call me back'] },
];

const CLICK_COUNT = 320;
const DUPLICATE_COUNT = 5;

export function buildSamples(seed = 20260314): Samples {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];

  const contacts: SampleContact[] = FIRST_NAMES.map((first, i) => {
    const last = SURNAMES[i];
    const local = `${first}.${last}`
      .normalize('NFD')
      .replace(/[^A-Za-z.]/g, '')
      .toLowerCase();
    return {
      contactId: String(1001 + i),
      name: `${first} ${last}`,
      email: `${local}@${DOMAINS[i % DOMAINS.length]}`,
      client: i >= FIRST_NAMES.length - 2 ? '' : CLIENTS[i % CLIENTS.length],
    };
  });

  const seen = new Set<string>();
  const clicks: ClickFields[] = [];
  while (clicks.length < CLICK_COUNT) {
    const template = pick(TEMPLATES);
    const sent = new Date(`${template.sent}T00:00:00Z`);
    // Most clicks come on the day of sending or soon after.
    const daysLater = Math.floor(random() * random() * 12);
    const day = new Date(sent.getTime() + daysLater * 86_400_000).toISOString().slice(0, 10);
    const seconds = 7 * 3600 + Math.floor(random() * 15 * 3600);
    const time = [seconds / 3600, (seconds / 60) % 60, seconds % 60]
      .map((n) => String(Math.floor(n)).padStart(2, '0'))
      .join(':');
    const click = {
      template: template.name,
      contactId: pick(contacts).contactId,
      linkName: pick(template.links),
      date: day,
      time,
    };
    const key = `${click.contactId}|${click.template}|${click.date}|${click.time}`;
    if (!seen.has(key)) {
      seen.add(key);
      clicks.push(click);
    }
  }
  clicks.sort((a, b) => `${a.date} ${a.time}`.localeCompare(`${b.date} ${b.time}`));

  // A few exact repeats, written right after the original as a retried request would be.
  for (let n = 0; n < DUPLICATE_COUNT; n++) {
    const at = 20 + Math.floor(random() * (clicks.length - 40));
    clicks.splice(at + 1, 0, { ...clicks[at] });
  }

  return {
    contacts,
    clicks,
    duplicates: DUPLICATE_COUNT,
    trackerXml: formatTrackerFile('ABC Ltd', clicks),
    contactsCsv: formatContactsCsv(contacts),
  };
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function formatContactsCsv(contacts: SampleContact[]): string {
  const rows = [['ContactID', 'Name', 'Email', 'Client']];
  for (const c of contacts) {
    rows.push([c.contactId, c.name, c.email, c.client]);
  }
  return rows.map((row) => row.map(csvField).join(',')).join('\n') + '\n';
}

if (require.main === module) {
  const samples = buildSamples();
  fs.mkdirSync(SAMPLES_DIR, { recursive: true });
  fs.writeFileSync(path.join(SAMPLES_DIR, TRACKER_FILE), samples.trackerXml);
  fs.writeFileSync(path.join(SAMPLES_DIR, CONTACTS_FILE), samples.contactsCsv);
  console.log(
    `samples/${TRACKER_FILE}: ${samples.clicks.length} clicks ` +
      `(${samples.duplicates} exact duplicates); samples/${CONTACTS_FILE}: ` +
      `${samples.contacts.length} contacts`,
  );
}
