// RFC-4180 CSV parser with row-level error recovery: quoted fields (delimiters, doubled quotes,
// line breaks), CRLF/LF, BOM. A malformed record is reported with its row and line numbers and
// skipped; parsing resynchronises at the next line that starts a record (after an unclosed
// quote: the first such line after the one where the quote opened, so no good row is swallowed).

export interface CsvOptions {
  /** Field delimiter, one character. Default ','. */
  delimiter?: string;
  /** The first record is a header naming the columns. Default true. */
  header?: boolean;
  /**
   * How a line that starts a new record looks, tested at the start of each line (no flags needed).
   * Used (a) to end a quoted field that runs over a line starting a new record (an unclosed
   * quote) and (b) to find where to resume after a malformed record.
   * 'infer' (default) learns it from the first column of the first clean records when those ids
   * share one shape containing letters (e.g. "imo-bench-algebra-001"); null disables it.
   */
  recordStart?: RegExp | 'infer' | null;
  /** Stop after this many data records (malformed ones included). Default: no limit. */
  maxRows?: number;
}

/** One well-formed data record. */
export interface CsvRecord {
  fields: string[];
  /** 1-based data row (the header is not counted; malformed rows are). */
  row: number;
  /** 1-based line in the file where the record starts (the header is line 1). */
  line: number;
}

/** One malformed data record that was skipped. */
export interface CsvError {
  row: number;
  line: number;
  /** Last line the skipped text covers. */
  endLine: number;
  /** The record's first field as far as it can be read (usually its id), or ''. */
  firstField: string;
  reason: string;
}

export interface CsvResult {
  header: string[];
  records: CsvRecord[];
  errors: CsvError[];
  /** The record-start pattern in force at the end (given or inferred), or null. */
  recordStart: RegExp | null;
}

/** Thrown when the file cannot be parsed at all (e.g. a broken header). */
export class CsvFormatError extends Error {
  override name = 'CsvFormatError';
}

interface RawRecord {
  fields: string[];
  /** Offset just past the record's line break (or text.length). */
  end: number;
  /** Problem with the record's syntax, with the offset where it was found and, for a quoted
   *  field, where its quote opened. */
  error?: { reason: string; pos: number; open?: number; kind: 'stray' | 'eof' | 'crossed' };
}

/** Lines test-parsed while looking for the next record when no record-start pattern is known. */
const MAX_PROBES = 5000;

const ESC = /[.*+?^${}()|[\]\\]/g;
const escapeRe = (s: string) => s.replace(ESC, '\\$&');

/** Parse a whole CSV text. Never throws on a bad data row; throws CsvFormatError on a bad header. */
export function parseCsv(text: string, options: CsvOptions = {}): CsvResult {
  const header: string[] = [];
  const records: CsvRecord[] = [];
  const errors: CsvError[] = [];
  const parser = new CsvParser(text, options);
  for (const item of parser.items()) {
    if ('header' in item) header.push(...item.header);
    else if ('reason' in item) errors.push(item);
    else records.push(item);
  }
  return { header, records, errors, recordStart: parser.recordStart };
}

/** Lazily iterate over header, records and errors in file order. */
export function* csvItems(
  text: string,
  options: CsvOptions = {},
): Generator<{ header: string[] } | CsvRecord | CsvError> {
  yield* new CsvParser(text, options).items();
}

class CsvParser {
  readonly text: string;
  readonly delim: string;
  readonly hasHeader: boolean;
  readonly maxRows: number;
  recordStart: RegExp | null;
  private inferStart: boolean;
  private shapes: string[] = [];
  private expected = -1;
  /** Offsets of line starts, for offset -> line lookups. */
  private lineStarts: number[] = [0];

  constructor(text: string, options: CsvOptions) {
    this.text = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    this.delim = options.delimiter ?? ',';
    if (this.delim.length !== 1 || this.delim === '"' || this.delim === '\n' || this.delim === '\r') {
      throw new CsvFormatError(`CSV delimiter must be one character other than a quote or line break; got ${JSON.stringify(this.delim)}.`);
    }
    this.hasHeader = options.header ?? true;
    this.maxRows = options.maxRows ?? Infinity;
    const rs = options.recordStart === undefined ? 'infer' : options.recordStart;
    this.inferStart = rs === 'infer';
    this.recordStart = rs instanceof RegExp ? new RegExp(rs.source, rs.flags.replace(/[gy]/g, '') + 'y') : null;
    const t = this.text;
    for (let i = 0; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (c === 10) this.lineStarts.push(i + 1);
      else if (c === 13 && t.charCodeAt(i + 1) !== 10) this.lineStarts.push(i + 1);
    }
  }

  /** 1-based line of an offset. */
  lineOf(pos: number): number {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  *items(): Generator<{ header: string[] } | CsvRecord | CsvError> {
    const t = this.text;
    let pos = this.skipBlankLines(0);
    if (this.hasHeader) {
      if (pos >= t.length) throw new CsvFormatError('CSV text is empty: expected a header line naming the columns.');
      const h = this.readRecord(pos);
      if (h.error) {
        throw new CsvFormatError(`CSV header (line ${this.lineOf(pos)}) is malformed: ${h.error.reason}. Fix the first line of the file.`);
      }
      this.expected = h.fields.length;
      yield { header: h.fields };
      pos = h.end;
    }
    let row = 0;
    while (row < this.maxRows) {
      pos = this.skipBlankLines(pos);
      if (pos >= t.length) break;
      row++;
      const line = this.lineOf(pos);
      const rec = this.readRecord(pos);
      if (this.expected < 0 && !rec.error) this.expected = rec.fields.length;
      if (!rec.error && rec.fields.length === this.expected) {
        this.learnShape(rec.fields[0]);
        yield { fields: rec.fields, row, line };
        pos = rec.end;
        continue;
      }
      // Malformed: decide where to resume, then report the span skipped.
      let resume: number;
      let reason: string;
      if (rec.error) {
        reason = rec.error.reason;
        // A quote that never closes (or closes only at a quote of some later row) would swallow
        // every line up to there: resume at the first line after the one where it opened that
        // starts a record, so the good rows after a bad one are still read.
        if (rec.error.kind === 'crossed') resume = rec.end;
        else {
          resume = this.resync(this.nextLineStart(rec.error.open ?? pos));
          if (resume < rec.error.pos) reason += `; reading resumes at line ${this.lineOf(resume)}, the next line that starts a record`;
        }
      } else {
        reason = `expected ${this.expected} fields, found ${rec.fields.length}`
          + (rec.fields.length < this.expected ? ' (a field may be missing, or a quote left open)' : ' (an unquoted field may contain the delimiter)');
        resume = rec.end;
      }
      yield { row, line, endLine: this.lineOf(Math.max(pos, resume - 1)), firstField: this.firstFieldAt(pos), reason };
      pos = resume;
    }
  }

  private skipBlankLines(pos: number): number {
    const t = this.text;
    for (;;) {
      let p = pos;
      while (p < t.length && (t[p] === ' ' || t[p] === '\t') && this.delim !== t[p]) p++;
      if (t[p] === '\n') pos = p + 1;
      else if (t[p] === '\r') pos = t[p + 1] === '\n' ? p + 2 : p + 1;
      else return pos;
    }
  }

  /** Offset of the start of the line after the one containing `pos` (text.length at the end). */
  private nextLineStart(pos: number): number {
    const line = this.lineOf(pos);
    return line < this.lineStarts.length ? this.lineStarts[line] : this.text.length;
  }

  /** Does a new record plausibly start at line start `pos`? */
  private startsRecord(pos: number): boolean {
    if (this.recordStart) {
      this.recordStart.lastIndex = pos;
      return this.recordStart.test(this.text);
    }
    // No pattern: accept a line from which a well-formed record of the expected width parses,
    // whose first field is not empty (a line opening with the delimiter continues a broken
    // field) and, when the clean records so far agree on the shape of their first field
    // (e.g. numeric ids), has that shape too.
    const rec = this.readRecord(pos);
    if (rec.error || (this.expected >= 0 && rec.fields.length !== this.expected)) return false;
    const first = rec.fields[0].trim();
    if (first === '') return false;
    const known = this.shapes[0];
    return this.shapes.length < 2 || this.shapes.some((x) => x !== known) || shapeOf(first) === known;
  }

  /** First line start at or after `from` where a record starts (text.length if none).
   *  Without a pattern each candidate line is test-parsed; after MAX_PROBES lines the scan
   *  gives up and resumes at `from` (the next line). */
  private resync(from: number): number {
    let line = this.lineOf(from);
    if (this.lineStarts[line - 1] < from) line++;
    const first = line;
    for (; line <= this.lineStarts.length; line++) {
      const p = this.lineStarts[line - 1];
      if (p >= this.text.length) break;
      if (!this.recordStart && line - first >= MAX_PROBES) return from;
      if (this.startsRecord(p)) return p;
    }
    return this.text.length;
  }

  /** First field of the line at `pos`, unquoted, for error messages. */
  private firstFieldAt(pos: number): string {
    const t = this.text;
    let end = pos;
    while (end < t.length && t[end] !== this.delim && t[end] !== '\n' && t[end] !== '\r') end++;
    const s = t.slice(pos, end).trim();
    return (s.startsWith('"') ? s.slice(1, s.endsWith('"') && s.length > 1 ? -1 : undefined) : s).slice(0, 120);
  }

  /** Learn the id shape from the first clean records (see CsvOptions.recordStart). */
  private learnShape(first: string): void {
    if (this.shapes.length >= 8) return;
    const shape = shapeOf(first);
    this.shapes.push(shape);
    if (this.shapes.length < 8 || !this.inferStart || this.recordStart) return;
    this.inferStart = false;
    if (!this.shapes.every((s) => s === shape) || !shape.includes('\u0001')) return;
    const body = shape.replace(/\u0001/g, '[A-Za-z_]+').replace(/\u0002/g, '\\d+');
    this.recordStart = new RegExp(`"?${body}"?${escapeRe(this.delim)}`, 'y');
  }

  /** Read one record starting at `start` with the strict RFC-4180 grammar. */
  private readRecord(start: number): RawRecord {
    const t = this.text;
    const d = this.delim;
    const n = t.length;
    const fields: string[] = [];
    let pos = start;
    for (;;) {
      // One field.
      if (t[pos] === '"') {
        const openAt = pos;
        const openLine = this.lineOf(pos);
        let value = '';
        let p = pos + 1;
        let q = -1;
        for (;;) {
          if (q < p) q = t.indexOf('"', p);
          const nl = this.recordStart ? nextBreak(t, p, q < 0 ? n : q) : -1;
          if (nl >= 0) {
            // A line break inside the quotes: does the next line start a new record?
            const after = t[nl] === '\r' && t[nl + 1] === '\n' ? nl + 2 : nl + 1;
            this.recordStart!.lastIndex = after;
            if (this.recordStart!.test(t)) {
              return {
                fields, end: after,
                error: {
                  kind: 'crossed', pos: nl,
                  reason: `quoted field ${fields.length + 1} opened on line ${openLine} is not closed before line ${this.lineOf(after)}, which starts a new record (missing closing quote)`,
                },
              };
            }
            value += t.slice(p, after);
            p = after;
            continue;
          }
          if (q < 0) {
            return {
              fields, end: n,
              error: { kind: 'eof', pos: n, open: openAt, reason: `quoted field ${fields.length + 1} opened on line ${openLine} never closes (missing closing quote; reached end of file)` },
            };
          }
          value += t.slice(p, q);
          if (t[q + 1] === '"') {
            value += '"';
            p = q + 2;
            continue;
          }
          pos = q + 1;
          break;
        }
        fields.push(value);
        // Only spaces/tabs may sit between the closing quote and the delimiter or line end.
        let p2 = pos;
        while (p2 < n && (t[p2] === ' ' || t[p2] === '\t') && t[p2] !== d) p2++;
        if (p2 < n && t[p2] !== d && t[p2] !== '\n' && t[p2] !== '\r') {
          return {
            fields, end: n,
            error: {
              kind: 'stray', pos: p2, open: openAt,
              reason: `quoted field ${fields.length} (opened on line ${openLine}) closes on line ${this.lineOf(p2)} but is followed by ${JSON.stringify(t.slice(p2, p2 + 12))} instead of a delimiter or line end: a closing quote is probably missing, or a quote inside the field is not doubled`,
            },
          };
        }
        pos = p2;
      } else {
        let p = pos;
        while (p < n && t[p] !== d && t[p] !== '\n' && t[p] !== '\r') p++;
        fields.push(t.slice(pos, p));
        pos = p;
      }
      // After a field: delimiter, line break or end.
      if (pos >= n) return { fields, end: n };
      if (t[pos] === d) {
        pos++;
        continue;
      }
      const end = t[pos] === '\r' && t[pos + 1] === '\n' ? pos + 2 : pos + 1;
      return { fields, end };
    }
  }
}

/** Shape of a first field: runs of letters and of digits reduced to one mark each, other
 *  characters kept (regex-escaped). "imo-bench-algebra-001" and "imo-bench-geometry-012" agree. */
function shapeOf(first: string): string {
  return first.trim().replace(/[A-Za-z_]+|\d+|[^A-Za-z_\d]/g, (m) => (/^[A-Za-z_]/.test(m) ? '\u0001' : /^\d/.test(m) ? '\u0002' : escapeRe(m)));
}

/** Offset of the first '\n' or '\r' in t[from, to), or -1. */
function nextBreak(t: string, from: number, to: number): number {
  for (let i = from; i < to; i++) {
    const c = t.charCodeAt(i);
    if (c === 10 || c === 13) return i;
  }
  return -1;
}

/** Quote one value for CSV output when it needs quoting. */
export function csvEscape(value: string, delimiter = ','): string {
  return /["\r\n]/.test(value) || value.includes(delimiter) || /^\s|\s$/.test(value)
    ? `"${value.replace(/"/g, '""')}"`
    : value;
}

/** Format rows (first row usually the header) as CSV text with CRLF line ends per RFC 4180. */
export function formatCsv(rows: string[][], delimiter = ','): string {
  return rows.map((r) => r.map((v) => csvEscape(v, delimiter)).join(delimiter)).join('\r\n') + '\r\n';
}
