import { readFileSync, existsSync } from 'node:fs';
import { expect } from 'chai';
// The table is internal to src/asm (src/sys has its own for feature probes); tested directly.
import { HELPER_NAMES } from '../../src/asm/helper-names.js';
import { parseBtf, type BtfEnum } from '../../src/btf/index.js';

// src/asm/helper-names.ts is generated (bpf/elf-asm/gen-helper-names.sh); this checks it still
// equals `enum bpf_func_id` of the running kernel's BTF, read with our own BTF parser.
describe('asm: HELPER_NAMES is enum bpf_func_id of this kernel', function () {
  it('matches /sys/kernel/btf/vmlinux value for value', function () {
    if (!existsSync('/sys/kernel/btf/vmlinux')) this.skip();
    const btf = parseBtf(readFileSync('/sys/kernel/btf/vmlinux'));
    const [id] = btf.findByName('bpf_func_id', 'ENUM');
    expect(id, 'enum bpf_func_id').to.not.equal(undefined);
    const e = btf.typeById(id as number) as BtfEnum;
    const fromBtf: string[] = [];
    for (const v of e.values) {
      if (v.name === '__BPF_FUNC_MAX_ID') continue;
      expect(v.name).to.match(/^BPF_FUNC_/);
      fromBtf[v.value] = `bpf_${v.name.slice('BPF_FUNC_'.length)}`;
    }
    expect([...HELPER_NAMES]).to.deep.equal(fromBtf);
    expect(HELPER_NAMES.length).to.equal(e.values.find((v) => v.name === '__BPF_FUNC_MAX_ID')?.value);
  });
});
