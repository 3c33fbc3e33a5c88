/**
 * A JSON emitter that reproduces bpftool's `json_writer.c` byte for byte (its separators,
 * 4-space pretty indentation, escaping only `\t \n \r \f \b \\ "`), and prints u64/s64 from
 * bigint without losing precision, which `JSON.stringify` cannot.
 */
export class BpftoolJsonWriter {
  #buf = '';
  readonly #pretty: boolean;
  #depth = 0;
  #sep = '';

  constructor(pretty: boolean) {
    this.#pretty = pretty;
  }

  /** `jsonw_start_object`. */
  startObject(): void {
    this.#begin('{');
  }
  /** `jsonw_end_object`. */
  endObject(): void {
    this.#end('}');
  }
  /** `jsonw_start_array`. */
  startArray(): void {
    this.#begin('[');
  }
  /** `jsonw_end_array`. */
  endArray(): void {
    this.#end(']');
  }
  /** `jsonw_name`. */
  name(name: string): void {
    this.#eor();
    this.#eol();
    this.#sep = '';
    this.#buf += quote(name) + (this.#pretty ? ': ' : ':');
  }
  /** `jsonw_string`. */
  string(value: string): void {
    this.#eor();
    this.#buf += quote(value);
  }
  /** `jsonw_uint`/`jsonw_int` (and u64/s64 as bigint). */
  number(value: number | bigint): void {
    this.#eor();
    this.#buf += String(value);
  }
  /** `jsonw_string_field`. */
  stringField(name: string, value: string): void {
    this.name(name);
    this.string(value);
  }
  /** `jsonw_uint_field` / `jsonw_int_field`. */
  numberField(name: string, value: number | bigint): void {
    this.name(name);
    this.number(value);
  }
  /** Text written since the last `take` (for streaming big documents). */
  take(): string {
    const out = this.#buf;
    this.#buf = '';
    return out;
  }
  /** Bytes buffered since the last `take`. */
  get pending(): number {
    return this.#buf.length;
  }
  /** The rest of the text, with the newline `jsonw_destroy` adds. */
  finish(): string {
    return this.take() + '\n';
  }

  #eol(): void {
    if (this.#pretty) this.#buf += indent(this.#depth);
  }
  #eor(): void {
    if (this.#sep !== '') this.#buf += this.#sep;
    this.#sep = ',';
  }
  #begin(c: string): void {
    this.#eor();
    this.#buf += c;
    this.#depth++;
    this.#sep = '';
  }
  #end(c: string): void {
    this.#depth--;
    if (this.#sep !== '') this.#eol();
    this.#buf += c;
    this.#sep = ',';
  }
}

const ESCAPES: Readonly<Record<string, string>> = { '\t': '\\t', '\n': '\\n', '\r': '\\r', '\f': '\\f', '\b': '\\b', '\\': '\\\\', '"': '\\"' };

const NEEDS_ESCAPE = /[\t\n\r\f\b\\"]/;

function quote(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return '"' + s + '"';
  return '"' + s.replace(/[\t\n\r\f\b\\"]/g, (c) => ESCAPES[c] ?? c) + '"';
}

const INDENTS: string[] = [];

function indent(depth: number): string {
  return (INDENTS[depth] ??= '\n' + '    '.repeat(depth));
}
