/**
 * A JSON emitter that reproduces bpftool's `json_writer.c` byte for byte (its separators,
 * 4-space pretty indentation, escaping only `\t \n \r \f \b \\ "`), and prints u64/s64 from
 * bigint without losing precision, which `JSON.stringify` cannot.
 */
export class BpftoolJsonWriter {
  readonly #parts: string[] = [];
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
    this.#parts.push(quote(name), this.#pretty ? ': ' : ':');
  }
  /** `jsonw_string`. */
  string(value: string): void {
    this.#eor();
    this.#parts.push(quote(value));
  }
  /** `jsonw_uint`/`jsonw_int` (and u64/s64 as bigint). */
  number(value: number | bigint): void {
    this.#eor();
    this.#parts.push(String(value));
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
  /** Everything written, with the newline `jsonw_destroy` adds. */
  finish(): string {
    return this.#parts.join('') + '\n';
  }

  #eol(): void {
    if (this.#pretty) this.#parts.push('\n' + '    '.repeat(this.#depth));
  }
  #eor(): void {
    if (this.#sep !== '') this.#parts.push(this.#sep);
    this.#sep = ',';
  }
  #begin(c: string): void {
    this.#eor();
    this.#parts.push(c);
    this.#depth++;
    this.#sep = '';
  }
  #end(c: string): void {
    this.#depth--;
    if (this.#sep !== '') this.#eol();
    this.#parts.push(c);
    this.#sep = ',';
  }
}

const ESCAPES: Readonly<Record<string, string>> = { '\t': '\\t', '\n': '\\n', '\r': '\\r', '\f': '\\f', '\b': '\\b', '\\': '\\\\', '"': '\\"' };

function quote(s: string): string {
  return '"' + s.replace(/[\t\n\r\f\b\\"]/g, (c) => ESCAPES[c] ?? c) + '"';
}
