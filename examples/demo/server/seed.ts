// The demo's seed data: a few hundred invoices, the same on every start (a seeded PRNG, no clock).
import type { InvoiceDetail, InvoiceLine, InvoiceStatus } from '../shared/invoice';

const CUSTOMERS = [
  'Acme Logistics',
  'Birchwood Bakery',
  'Cobalt Analytics',
  'Dunmore & Sons',
  'Eastgate Clinic',
  'Fjord Outfitters',
  'Granite Legal',
  'Harbor Coffee Co.',
  'Iris Architects',
  'Juniper Schools',
  'Kestrel Aviation',
  'Lumen Studios',
  'Marlow Hotels',
  'Northwind Traders',
  'Orchid Florists',
  'Pinecrest Dental',
];

const SERVICES: ReadonlyArray<[string, number]> = [
  ['Consulting, per day', 95_000],
  ['Support plan, monthly', 24_900],
  ['Hosting, monthly', 12_000],
  ['Design workshop', 180_000],
  ['Training session', 65_000],
  ['Licence seat, yearly', 39_900],
  ['On-site visit', 45_000],
];

const STATUS_WEIGHTS: ReadonlyArray<[InvoiceStatus, number]> = [
  ['draft', 0.15],
  ['sent', 0.35],
  ['paid', 0.4],
  ['overdue', 0.1],
];

/** mulberry32: tiny, fast and deterministic, which is all seed data needs. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function pick<T>(random: () => number, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)] as T;
}

function pickStatus(random: () => number): InvoiceStatus {
  let roll = random();
  for (const [status, weight] of STATUS_WEIGHTS) {
    roll -= weight;
    if (roll <= 0) return status;
  }
  return 'paid';
}

function isoDay(base: number, offsetDays: number): string {
  return new Date(base + offsetDays * 86_400_000).toISOString().slice(0, 10);
}

const SEED_EPOCH = Date.UTC(2026, 0, 5);

export function seedInvoices(count = 300, seed = 12): InvoiceDetail[] {
  const random = prng(seed);
  const invoices: InvoiceDetail[] = [];
  for (let index = 1; index <= count; index += 1) {
    const customer = pick(random, CUSTOMERS);
    const lines: InvoiceLine[] = [];
    const lineCount = 1 + Math.floor(random() * 4);
    for (let line = 0; line < lineCount; line += 1) {
      const [description, unitCents] = pick(random, SERVICES);
      lines.push({ description, quantity: 1 + Math.floor(random() * 5), unitCents });
    }
    const issued = Math.floor(random() * 300);
    const number = `INV-${String(index).padStart(4, '0')}`;
    invoices.push({
      id: String(index),
      number,
      customer,
      email: `billing@${customer.toLowerCase().replace(/[^a-z]+/g, '')}.example`,
      amountCents: lines.reduce((sum, item) => sum + item.quantity * item.unitCents, 0),
      status: pickStatus(random),
      issuedDate: isoDay(SEED_EPOCH, issued),
      dueDate: isoDay(SEED_EPOCH, issued + 30),
      lines,
      notes: '',
      history: [{ at: new Date(SEED_EPOCH + issued * 86_400_000).toISOString(), text: `${number} created` }],
      updatedAt: new Date(SEED_EPOCH + issued * 86_400_000).toISOString(),
      version: 1,
    });
  }
  return invoices;
}
