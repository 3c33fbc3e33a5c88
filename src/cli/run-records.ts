/**
 * How `bpf-ts run` prints event records: one line per record, decoded fields as `name=value`
 * (plain) or one JSON object per line (`-j`), raw records as hex. Pure.
 */

const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

/**
 * JSON text of a decoded value with every integer exact: `bigint`s are written as JSON numbers
 * with all their digits (bpftool's convention for u64; parse with a big-number-aware reader to
 * keep values above 2^53), `Uint8Array`s as hex strings.
 */
export function exactJson(value: unknown): string {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'string' || typeof value === 'boolean' || value === null || value === undefined) return JSON.stringify(value ?? null);
  if (value instanceof Uint8Array) return JSON.stringify(hex(value));
  if (Array.isArray(value)) return `[${value.map(exactJson).join(',')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${JSON.stringify(k)}:${exactJson(v)}`).join(',')}}`;
  }
  return 'null';
}

/**
 * A decoded value as plain text: numbers in decimal, strings (char arrays, enum names) as they
 * are unless empty or holding spaces, quotes, `=` or control characters (then JSON-quoted),
 * structs `{a=1 b=2}`, arrays `[1,2]`, byte arrays in hex.
 */
export function plainValue(value: unknown): string {
  if (typeof value === 'bigint' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return value === '' || /[\s"=\\{}[\],\p{Cc}]/u.test(value) ? JSON.stringify(value) : value;
  if (value instanceof Uint8Array) return hex(value);
  if (Array.isArray(value)) return `[${value.map(plainValue).join(',')}]`;
  if (value !== null && typeof value === 'object') return `{${plainFields(value as Record<string, unknown>)}}`;
  return String(value);
}

/** `name=value name=value` for a decoded struct. */
export function plainFields(record: Record<string, unknown>): string {
  return Object.entries(record)
    .map(([k, v]) => `${k}=${plainValue(v)}`)
    .join(' ');
}

/** One output line (without the newline) for a decoded record or raw bytes. */
export function formatRecord(record: unknown, json: boolean, mapName?: string): string {
  const isRaw = record instanceof Uint8Array;
  if (json) {
    const body = isRaw ? `{"bytes":${JSON.stringify(hex(record))}}` : exactJson(record);
    return mapName === undefined ? body : `{"map":${JSON.stringify(mapName)},"record":${body}}`;
  }
  const body = isRaw ? hex(record) : record !== null && typeof record === 'object' && !Array.isArray(record) ? plainFields(record as Record<string, unknown>) : plainValue(record);
  return mapName === undefined ? body : `${mapName}: ${body}`;
}
