// JSON Lines and JSON-array dataset parsing. Each record is one JSON object; a bad line is
// reported with its row and line number and skipped, the rest still parse.

export interface JsonRecord {
  value: Record<string, unknown>;
  /** 1-based data row (blank lines are not rows; malformed lines are). */
  row: number;
  /** 1-based line in the file, or null when the format has no line per record (JSON array). */
  line: number | null;
}

export interface JsonRowError {
  row: number;
  line: number | null;
  reason: string;
}

export interface JsonParseResult {
  records: JsonRecord[];
  errors: JsonRowError[];
}

export class JsonFormatError extends Error {
  override name = 'JsonFormatError';
}

const kindOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parse JSON Lines text: one JSON object per line; blank lines ignored. */
export function parseJsonl(text: string, options: { maxRows?: number } = {}): JsonParseResult {
  const maxRows = options.maxRows ?? Infinity;
  const records: JsonRecord[] = [];
  const errors: JsonRowError[] = [];
  const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split(/\r\n|\n|\r/);
  let row = 0;
  for (let i = 0; i < lines.length && row < maxRows; i++) {
    const src = lines[i].trim();
    if (src === '') continue;
    row++;
    const line = i + 1;
    let value: unknown;
    try {
      value = JSON.parse(src);
    } catch (e) {
      const hint = src === '{' || src === '[' ? ' (this looks like pretty-printed JSON: use format "json", or write one object per line)' : '';
      errors.push({ row, line, reason: `invalid JSON: ${(e as Error).message}${hint}` });
      continue;
    }
    if (!isObject(value)) {
      errors.push({ row, line, reason: `expected a JSON object on each line, found ${kindOf(value)}` });
      continue;
    }
    records.push({ value, row, line });
  }
  return { records, errors };
}

/**
 * Parse a JSON document holding the rows: a top-level array of objects, or an object with
 * exactly one property whose value is an array of objects (e.g. {"data": [...]}).
 * Throws JsonFormatError when the document itself is not valid JSON or holds no rows.
 */
export function parseJsonArray(text: string, options: { maxRows?: number } = {}): JsonParseResult {
  let doc: unknown;
  try {
    doc = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (e) {
    throw new JsonFormatError(`invalid JSON document: ${(e as Error).message}. If the file has one object per line, use format "jsonl".`);
  }
  let rows: unknown[];
  if (Array.isArray(doc)) rows = doc;
  else if (isObject(doc)) {
    const arrays = Object.entries(doc).filter(([, v]) => Array.isArray(v));
    if (arrays.length !== 1) {
      throw new JsonFormatError(
        `JSON object has ${arrays.length} array-valued properties (${arrays.map(([k]) => k).join(', ') || 'none'}); `
        + 'expected a top-level array of row objects or an object with exactly one array of rows.',
      );
    }
    rows = arrays[0][1] as unknown[];
  } else {
    throw new JsonFormatError(`JSON document is ${kindOf(doc)}; expected an array of row objects.`);
  }
  const maxRows = options.maxRows ?? Infinity;
  const records: JsonRecord[] = [];
  const errors: JsonRowError[] = [];
  for (let i = 0; i < rows.length && i < maxRows; i++) {
    const value = rows[i];
    if (isObject(value)) records.push({ value, row: i + 1, line: null });
    else errors.push({ row: i + 1, line: null, reason: `expected a JSON object, found ${kindOf(value)}` });
  }
  return { records, errors };
}

/** Serialise rows as JSON Lines (one object per line, trailing newline). */
export function formatJsonl(rows: readonly unknown[]): string {
  return rows.map((r) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? Number(v) : v))).join('\n') + (rows.length ? '\n' : '');
}
