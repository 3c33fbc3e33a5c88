import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootTimeToEpochSeconds, formatLocalIso, realtimeMinusBoottimeNs } from '../../src/cli/boot-time.js';
import { BpftoolMultiMap } from '../../src/cli/bpftool-multimap.js';
import { JsonWriter } from '../../src/cli/json-writer.js';
import { CliError } from '../../src/cli/context.js';
import { cliSysError, parseBtfHandle, parseCUnsigned, parseLinkHandle, parseMapHandle, parseProgHandle } from '../../src/cli/object-handle.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { requireTool } from '../helpers/privileges.js';

const CLANG = '/usr/bin/clang';

describe('cli: show formatting helpers', () => {
  describe('JsonWriter', () => {
    it('writes compact JSON without whitespace, ending in one newline', () => {
      const w = new JsonWriter();
      w.startArray().startObject().uintField('id', 7).stringField('type', 'xdp').boolField('jited', true).uintArrayField('map_ids', [1, 2]).endObject();
      w.startObject().uintField('id', 8n).name('dev').startObject().uintField('ifindex', 1).endObject().stringArrayField('pinned', []).endObject().endArray();
      const text = w.finish();
      expect(text).to.equal('[{"id":7,"type":"xdp","jited":true,"map_ids":[1,2]},{"id":8,"dev":{"ifindex":1},"pinned":[]}]\n');
      expect(JSON.parse(text)).to.deep.equal([{ id: 7, type: 'xdp', jited: true, map_ids: [1, 2] }, { id: 8, dev: { ifindex: 1 }, pinned: [] }]);
    });

    it("indents like bpftool's json_writer with -p: containers open on their parent's line", () => {
      const w = new JsonWriter(true);
      w.startArray().startObject().uintField('id', 1).uintArrayField('ids', [3, 4]).endObject().startObject().uintField('id', 2).endObject().endArray();
      expect(w.finish()).to.equal('[{\n        "id": 1,\n        "ids": [3,4\n        ]\n    },{\n        "id": 2\n    }\n]\n');
      const empty = new JsonWriter(true);
      expect(empty.startArray().endArray().finish()).to.equal('[]\n');
    });

    it('escapes strings as valid JSON (quotes, backslashes, control characters)', () => {
      const s = 'a"b\\c\nd\te\u0001f\'g/é';
      const text = new JsonWriter().startObject().stringField('k', s).endObject().finish();
      expect((JSON.parse(text) as { k: string }).k).to.equal(s);
      expect(text).to.include('\\u0001');
    });
  });

  describe('parseCUnsigned', () => {
    it('accepts exactly what strtoul(s, &end, 0) accepts whole, with the same value (vs C)', function () {
      requireTool(this, CLANG);
      const inputs = ['0', '42', '0x1f', '0X1F', '017', '08', ' 12', '+5', '-1', '12x', 'abc', '', '0x', '4294967296', '99999999999999999999999', '-4294967295', '1 '];
      const dir = mkdtempSync(join(tmpdir(), 'bpfts-strtoul-'));
      try {
        writeFileSync(
          join(dir, 's.c'),
          '#include <stdio.h>\n#include <stdlib.h>\nint main(int c, char **v) { for (int i = 1; i < c; i++) { char *e; unsigned int x = strtoul(v[i], &e, 0); if (*e) puts("bad"); else printf("%u\\n", x); } return 0; }\n',
        );
        execFileSync(CLANG, ['-o', join(dir, 's'), join(dir, 's.c')]);
        const fromC = execFileSync(join(dir, 's'), inputs, { encoding: 'utf8' }).trim().split('\n');
        const ours = inputs.map((s) => {
          const v = parseCUnsigned(s);
          return v === undefined ? 'bad' : String(v);
        });
        expect(ours).to.deep.equal(fromC);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('object handles', () => {
    it('rejects malformed handles with CliError and bpftool wording, before any syscall', () => {
      expect(() => parseProgHandle(['id'])).to.throw(CliError, "expected an argument after 'id'");
      expect(() => parseProgHandle(['id', '0x1g'])).to.throw(CliError, "can't parse 0x1g as ID");
      expect(() => parseProgHandle(['tag', '12'])).to.throw(CliError, "can't parse tag");
      expect(() => parseProgHandle(['name', 'x'.repeat(128)])).to.throw(CliError, "can't parse name");
      expect(() => parseProgHandle(['frob', '1'])).to.throw(CliError, "expected 'id', 'tag', 'name' or 'pinned', got: 'frob'?");
      expect(() => parseMapHandle(['name', 'sixteen_chars___'])).to.throw(CliError, "can't parse name");
      expect(() => parseMapHandle(['tag', '1'])).to.throw(CliError, "expected 'id', 'name' or 'pinned', got: 'tag'?");
      expect(() => parseLinkHandle(['name', '1'])).to.throw(CliError, "expected 'id' or 'pinned', got: 'name'?");
      expect(() => parseBtfHandle(['name', 'x'])).to.throw(CliError, "expected 'id', got: 'name'?");
    });

    it('wraps non-syscall failures with what was attempted', () => {
      const e = cliSysError(new Error('boom'), "can't get prog info");
      expect(e).to.be.instanceOf(CliError);
      expect(e.message).to.equal("can't get prog info: boom");
      expect(e.exitCode).to.equal(255);
      const passthrough = new CliError('as is', 3);
      expect(cliSysError(passthrough, 'ignored')).to.equal(passthrough);
    });
  });

  describe('boot time', () => {
    it('turns boot-time nanoseconds into epoch seconds, rounding down', () => {
      expect(bootTimeToEpochSeconds(1_999_999_999n, 1_000_000_000_000_000_000n)).to.equal(1_000_000_001);
      expect(bootTimeToEpochSeconds(0n, 1_500_000_000_999_999_999n)).to.equal(1_500_000_000);
      // Now, as a boot time, is now as a wall time.
      const uptimeNs = BigInt(Math.round(Number(execFileSync('cat', ['/proc/uptime'], { encoding: 'utf8' }).split(' ')[0]) * 1e9));
      expect(Math.abs(bootTimeToEpochSeconds(uptimeNs, realtimeMinusBoottimeNs()) - Date.now() / 1000)).to.be.lessThan(2);
    });

    it('formats %FT%T%z in the local zone like date(1)', () => {
      for (const tz of ['UTC', 'Asia/Kolkata', 'America/New_York', 'Australia/Lord_Howe']) {
        for (const t of [0, 1_700_000_000, 1_719_000_000]) {
          const script = `import('${join(REPO_ROOT, 'dist/src/cli/boot-time.js')}').then((m) => console.log(m.formatLocalIso(${t})))`;
          const ours = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, TZ: tz } }).stdout.trim();
          const ref = execFileSync('date', ['-d', `@${t}`, '+%FT%T%z'], { encoding: 'utf8', env: { ...process.env, TZ: tz } }).trim();
          expect(ours, `${tz} ${t}`).to.equal(ref);
        }
      }
      expect(formatLocalIso(0)).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}$/);
    });
  });

  describe('BpftoolMultiMap', () => {
    // The exact order is checked against bpftool itself by the `btf show` tests (test/cli/show.test.ts).
    it('keeps every value of a key and tells keys apart', () => {
      const m = new BpftoolMultiMap<number>();
      expect(m.empty).to.equal(true);
      expect(m.get(1)).to.deep.equal([]);
      const one = new BpftoolMultiMap<number>();
      for (const v of [1, 2, 3, 4, 5]) one.append(7, v);
      expect(one.get(7)).to.have.members([1, 2, 3, 4, 5]);
      expect(one.get(8)).to.deep.equal([]);
      expect(one.empty).to.equal(false);
    });
  });
});
