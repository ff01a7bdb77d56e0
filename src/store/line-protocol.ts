// Pure: StorePoints -> InfluxDB 1.x line protocol, written directly (one pass, straight into the
// request body's bytes) instead of through node-influx's generic schema/escaper code on the hot path.
// Field types come from FIELD_TYPES (integers get the `i` suffix, never flipping with the value);
// points are screened by pointProblem() before they get here.
// Escaping (https://docs.influxdata.com/influxdb/v1/write_protocols/line_protocol_reference/):
// measurement: comma, space; tag keys/values and field keys: comma, equals sign, space;
// string field values: double quote, backslash.
import type { StorePoint } from '../core/domain.js';
import { FIELD_TYPES } from './points.js';

/**
 * Points are written at nanosecond precision: a point's time is its ms `ts` plus its sub-ms `ns`
 * (readings of one device in the same millisecond must not overwrite each other). A ns timestamp
 * does not fit a JS number, so it is written as the ms digits followed by six ns digits.
 */
export type WritePrecision = 'ns';
export const WRITE_PRECISION: WritePrecision = 'ns';

export function escapeMeasurement(s: string): string {
  return s.replace(/[, ]/g, '\\$&');
}

/** tag keys, tag values and field keys */
export function escapeKey(s: string): string {
  return s.replace(/[,= ]/g, '\\$&');
}

export function quoteString(s: string): string {
  return `"${s.replace(/["\\]/g, '\\$&')}"`;
}

// The batch body is written byte by byte into one Buffer (LineBuffer below): no string per point
// or per batch, and no Buffer.from(body) before the POST, which together cost ~2 us per reading.
// Escaped series keys (measurement + sorted tags) are kept as bytes by tag object: points of one
// device share a frozen tag object (points.ts), so the key is built once per device and measurement.
const seriesKeys = new WeakMap<object, Map<string, Buffer>>();
// ' key=' (a point's first field) and ',key=' (the others), escaped, as bytes: a small closed set
// (FIELD_TYPES), bounded anyway.
const firstFields = new Map<string, Buffer>();
const nextFields = new Map<string, Buffer>();

function seriesKeyText(p: StorePoint): string {
  let key = escapeMeasurement(p.measurement);
  for (const tag of Object.keys(p.tags).sort()) key += `,${escapeKey(tag)}=${escapeKey(p.tags[tag] as string)}`;
  return key;
}

function seriesKey(p: StorePoint): Buffer {
  if (!Object.isFrozen(p.tags)) return Buffer.from(seriesKeyText(p));
  let byMeasurement = seriesKeys.get(p.tags);
  let key = byMeasurement?.get(p.measurement);
  if (key === undefined) {
    key = Buffer.from(seriesKeyText(p));
    if (!byMeasurement) seriesKeys.set(p.tags, (byMeasurement = new Map()));
    byMeasurement.set(p.measurement, key);
  }
  return key;
}

function fieldPrefix(name: string, first: boolean): Buffer {
  const cache = first ? firstFields : nextFields;
  let prefix = cache.get(name);
  if (prefix === undefined) {
    if (cache.size > 10_000) cache.clear();
    prefix = Buffer.from(`${first ? ' ' : ','}${escapeKey(name)}=`);
    cache.set(name, prefix);
  }
  return prefix;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MAX_EXACT = 2 ** 53;
/** room for one number's text: String() of a double is at most 24 chars, then `i` */
const NUMBER_ROOM = 26;

/** Digits of 0 <= v < 1e9 at buf[n..], at least `minDigits` (zero-padded); returns the new end. */
function smallDigits(buf: Buffer, n: number, v: number, minDigits: number): number {
  let len = 1;
  for (let x = v; x >= 10; x = (x / 10) | 0) len++;
  if (len < minDigits) len = minDigits;
  let x = v | 0;
  for (let i = n + len - 1; i >= n; i--) {
    const q = (x / 10) | 0;
    buf[i] = 0x30 + x - 10 * q;
    x = q;
  }
  return n + len;
}

/** Digits of an integer 0 <= v < 2^53 (split in two: % on a large double is a slow fmod). */
function digits(buf: Buffer, n: number, v: number, minDigits: number): number {
  if (v < 1e9) return smallDigits(buf, n, v, minDigits);
  const lo = v % 1e9;
  return smallDigits(buf, smallDigits(buf, n, (v - lo) / 1e9, minDigits - 9), lo, 9);
}

function ascii(buf: Buffer, n: number, s: string): number {
  for (let i = 0; i < s.length; i++) buf[n++] = s.charCodeAt(i);
  return n;
}

function copy(buf: Buffer, n: number, b: Buffer): number {
  buf.set(b, n);
  return n + b.length;
}

/** An integer as String() writes it (-0 as 0), without building the string. */
function integer(buf: Buffer, n: number, v: number): number {
  if (!(v > -MAX_EXACT && v < MAX_EXACT)) return ascii(buf, n, String(v));
  if (v < 0) {
    buf[n++] = 0x2d; // -
    v = -v;
  }
  return digits(buf, n, v, 1);
}

/**
 * A growing byte buffer a batch body is written into. Each writer reserves room for what it
 * writes next (at most NUMBER_ROOM per number), so the byte loops need no bounds checks of their own.
 */
class LineBuffer {
  buf: Buffer;
  n = 0;

  constructor(capacity: number) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  /** The bytes written so far (a view, not a copy). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.n);
  }

  reserve(k: number): Buffer {
    if (this.n + k > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(2 * this.buf.length, this.n + k));
      bigger.set(this.buf.subarray(0, this.n));
      this.buf = bigger;
    }
    return this.buf;
  }

  /** `"s"` with `"` and `\\` escaped, UTF-8. */
  quoted(s: string): void {
    let ascii = true;
    for (let i = 0; i < s.length && ascii; i++) ascii = s.charCodeAt(i) < 0x80;
    if (!ascii) {
      // Buffer's UTF-8 encoder for any other text
      const q = quoteString(s);
      this.n += this.reserve(3 * q.length).write(q, this.n, 'utf8');
      return;
    }
    const buf = this.reserve(2 * s.length + 2);
    let n = this.n;
    buf[n++] = QUOTE;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === QUOTE || c === BACKSLASH) buf[n++] = BACKSLASH;
      buf[n++] = c;
    }
    buf[n++] = QUOTE;
    this.n = n;
  }
}

/** Bytes per point of the last batch: the next batch's buffer is sized from it. */
let bytesPerPoint = 160;

/** One line, without its newline. */
function writePoint(out: LineBuffer, p: StorePoint): void {
  const key = seriesKey(p);
  out.n = copy(out.reserve(key.length), out.n, key);
  const types = FIELD_TYPES[p.measurement];
  let first = true;
  for (const name in p.fields) {
    const value = p.fields[name];
    if (value === undefined) continue;
    const prefix = fieldPrefix(name, first);
    first = false;
    const buf = out.reserve(prefix.length + NUMBER_ROOM);
    let n = copy(buf, out.n, prefix);
    if (typeof value === 'number') {
      if (types?.[name] === 'integer') {
        n = integer(buf, n, Math.trunc(value));
        buf[n++] = 0x69; // i
      } else if (Number.isInteger(value)) n = integer(buf, n, value); // a float: the same text as String()
      else n = ascii(buf, n, String(value));
    } else if (typeof value === 'boolean') buf[n++] = value ? 0x54 : 0x46; // T / F
    else {
      out.n = n;
      out.quoted(value);
      continue;
    }
    out.n = n;
  }
  // ' ' + ns since epoch: the ms `ts` then the sub-ms `ns` as six digits
  const buf = out.reserve(2 * NUMBER_ROOM);
  let n = out.n;
  buf[n++] = 0x20;
  const ms = Math.trunc(p.ts);
  n = ms >= 0 && ms < MAX_EXACT ? digits(buf, n, ms, 1) : ascii(buf, n, String(ms));
  out.n = digits(buf, n, p.ns ?? 0, 6);
}

/** A batch as one request body (UTF-8), one line per point, each ending in a newline. */
export function encodeBatch(points: readonly StorePoint[]): Buffer {
  const out = new LineBuffer(Math.max(64, Math.ceil(points.length * bytesPerPoint * 1.25)));
  for (const p of points) {
    writePoint(out, p);
    out.reserve(1)[out.n++] = 0x0a;
  }
  const body = out.bytes();
  if (points.length > 0) bytesPerPoint = Math.ceil(body.length / points.length);
  return body;
}

/** One point as a line (no trailing newline): the same bytes as in a batch, as text. */
export function encodePoint(p: StorePoint): string {
  const out = new LineBuffer(256);
  writePoint(out, p);
  return out.bytes().toString('utf8');
}
