/**
 * A streaming JSON writer with bpftool's exact layout (its `json_writer.c`): compact output has
 * no whitespace at all; pretty output indents by 4 spaces and opens nested containers on the
 * line of their parent (`[{` ... `},{` ... `}` then `]`). Output ends with one newline.
 *
 * Unlike bpftool, strings are escaped as valid JSON (bpftool turns `\` into `\n` and `'` into
 * `\'`), so paths and names with those characters still parse.
 *
 * @example
 * ```ts
 * const w = new JsonWriter(ctx.pretty);
 * w.startObject().uintField('id', 3).stringField('type', 'xdp').endObject();
 * ctx.out(w.finish());
 * ```
 */
export class JsonWriter {
  private text = '';
  private depth = 0;
  private needComma = false;

  constructor(private readonly pretty = false) {}

  private separator(): void {
    if (this.needComma) this.text += ',';
    this.needComma = true;
  }

  private newline(): void {
    if (this.pretty) this.text += '\n' + '    '.repeat(this.depth);
  }

  private open(c: '{' | '['): this {
    this.separator();
    this.text += c;
    this.depth++;
    this.needComma = false;
    return this;
  }

  private close(c: '}' | ']'): this {
    this.depth--;
    if (this.needComma) this.newline();
    this.text += c;
    this.needComma = true;
    return this;
  }

  /** `{` */
  startObject(): this {
    return this.open('{');
  }
  /** `}` */
  endObject(): this {
    return this.close('}');
  }
  /** `[` */
  startArray(): this {
    return this.open('[');
  }
  /** `]` */
  endArray(): this {
    return this.close(']');
  }

  /** A property name; the next value belongs to it. */
  name(name: string): this {
    this.separator();
    this.newline();
    this.needComma = false;
    this.text += quote(name) + (this.pretty ? ': ' : ':');
    return this;
  }

  /** A value written as is (a number, `true`, `null`, ...). */
  raw(value: string): this {
    this.separator();
    this.text += value;
    return this;
  }

  /** A string value. */
  string(value: string): this {
    return this.raw(quote(value));
  }
  /** An unsigned (or any integer) value. */
  uint(value: number | bigint): this {
    return this.raw(String(value));
  }
  /** `true` / `false`. */
  bool(value: boolean): this {
    return this.raw(value ? 'true' : 'false');
  }
  /** `null`. */
  null(): this {
    return this.raw('null');
  }

  /** `"name": "value"` */
  stringField(name: string, value: string): this {
    return this.name(name).string(value);
  }
  /** `"name": 123` */
  uintField(name: string, value: number | bigint): this {
    return this.name(name).uint(value);
  }
  /** `"name": true` */
  boolField(name: string, value: boolean): this {
    return this.name(name).bool(value);
  }
  /** `"name": [1,2,3]` */
  uintArrayField(name: string, values: Iterable<number | bigint>): this {
    this.name(name).startArray();
    for (const v of values) this.uint(v);
    return this.endArray();
  }
  /** `"name": ["a","b"]` */
  stringArrayField(name: string, values: Iterable<string>): this {
    this.name(name).startArray();
    for (const v of values) this.string(v);
    return this.endArray();
  }

  /**
   * What was written since the last call, removed from the writer: streaming commands print
   * each element of their top-level array as it comes (`map event_pipe`, `prog tracelog`).
   */
  take(): string {
    const t = this.text;
    this.text = '';
    return t;
  }

  /** Everything written, plus the final newline bpftool prints when its writer is destroyed. */
  finish(): string {
    return this.text + '\n';
  }
}

function quote(s: string): string {
  let out = '"';
  for (const ch of s) {
    switch (ch) {
      case '"': out += '\\"'; break;
      case '\\': out += '\\\\'; break;
      case '\n': out += '\\n'; break;
      case '\t': out += '\\t'; break;
      case '\r': out += '\\r'; break;
      case '\f': out += '\\f'; break;
      case '\b': out += '\\b'; break;
      default: {
        const c = ch.charCodeAt(0);
        out += c < 0x20 ? `\\u${c.toString(16).padStart(4, '0')}` : ch;
      }
    }
  }
  return out + '"';
}
