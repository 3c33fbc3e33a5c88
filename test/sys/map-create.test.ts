import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import {
  AttrFieldError,
  BTF_LOAD_ATTR_SIZE,
  MAP_CREATE_ATTR_SIZE,
  MapCreateFlag,
  MapType,
  SysError,
  btfLoad,
  encodeBtfLoadAttr,
  encodeMapCreateAttr,
  getMapInfo,
  mapCreate,
  native,
  tryMapCreate,
  type BtfLoadAttr,
  type MapCreateAttr,
} from '../../src/sys/index.js';
import { requirePrivileges, requireTool } from '../helpers/privileges.js';
import { BPFTOOL, CLANG, bpfAttrLayout, firstWrittenByte, kernelAttrFields, readUint, type FieldLayout } from './prog-load-attr-layout.js';

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

/**
 * Encodes distinct values into every field and checks each lands at the kernel's offset, with
 * nothing written anywhere else.
 */
function checkLayout(
  fields: ReadonlyArray<readonly [string, string]>,
  encode: (attr: Record<string, unknown>) => Uint8Array,
  extra: Record<string, unknown>,
  extraBytes: ReadonlyArray<readonly [string, number]>,
): Uint8Array {
  // Fields newer than the running kernel (the kernel matrix runs this on 6.1 and 6.12): the
  // encoder must put them after every field the kernel has, as the kernel appends new ones.
  const { present, missing } = kernelAttrFields(fields.map(([c]) => c));
  const known = fields.filter(([c]) => present.includes(c));
  const layout = bpfAttrLayout([...present, ...extraBytes.map(([c]) => c)]);
  const kernelEnd = Math.max(...[...layout.values()].map((f) => f.offset + f.size));
  const attr: Record<string, unknown> = { ...extra };
  const values = new Map<string, bigint>();
  known.forEach(([c, ts], i) => {
    const size = (layout.get(c) as FieldLayout).size;
    const value = size === 8 ? BigInt(i + 1) * 0x1_0000_0001n : BigInt((i + 1) * 0x101);
    values.set(c, value);
    attr[ts] = size === 8 ? value : Number(value);
  });
  for (const c of missing) {
    const ts = fields.find(([name]) => name === c)![1];
    expect(firstWrittenByte(encode, attr, ts), `${c} (newer than this kernel)`).to.be.at.least(kernelEnd);
  }
  const bytes = encode(attr);
  const covered = new Uint8Array(bytes.length);
  for (const [c] of known) {
    const f = layout.get(c) as FieldLayout;
    expect(readUint(bytes, f.offset, f.size), c).to.equal(values.get(c));
    covered.fill(1, f.offset, f.offset + f.size);
  }
  for (const [c, len] of extraBytes) {
    const f = layout.get(c) as FieldLayout;
    covered.fill(1, f.offset, f.offset + len);
  }
  bytes.forEach((b, i) => {
    if (covered[i] === 0) expect(b, `byte ${i} is in no field`).to.equal(0);
  });
  if (missing.length === 0) expect(bytes.length).to.equal(kernelEnd);
  return bytes;
}

describe('sys/map-create: BPF_MAP_CREATE and BPF_BTF_LOAD attr encoding', function () {
  this.timeout(120_000);

  it('puts every MAP_CREATE field where the running kernel has it', function () {
    requireTool(this, BPFTOOL);
    requireTool(this, CLANG);
    const fields: ReadonlyArray<readonly [string, keyof MapCreateAttr]> = [
      ['map_type', 'mapType'],
      ['key_size', 'keySize'],
      ['value_size', 'valueSize'],
      ['max_entries', 'maxEntries'],
      ['map_flags', 'mapFlags'],
      ['inner_map_fd', 'innerMapFd'],
      ['numa_node', 'numaNode'],
      ['map_ifindex', 'mapIfindex'],
      ['btf_fd', 'btfFd'],
      ['btf_key_type_id', 'btfKeyTypeId'],
      ['btf_value_type_id', 'btfValueTypeId'],
      ['btf_vmlinux_value_type_id', 'btfVmlinuxValueTypeId'],
      ['map_extra', 'mapExtra'],
      ['value_type_btf_obj_fd', 'valueTypeBtfObjFd'],
      ['map_token_fd', 'mapTokenFd'],
      ['excl_prog_hash', 'exclProgHash'],
      ['excl_prog_hash_size', 'exclProgHashSize'],
    ];
    const bytes = checkLayout(fields, (a) => encodeMapCreateAttr(a as unknown as MapCreateAttr), { mapName: 'map.name_15char' }, [['map_name', 15]]);
    expect(bytes.length).to.equal(MAP_CREATE_ATTR_SIZE);
    const name = bpfAttrLayout(['map_name']).get('map_name') as FieldLayout;
    expect(new TextDecoder().decode(bytes.subarray(name.offset, name.offset + 15))).to.equal('map.name_15char');
  });

  it('puts every BTF_LOAD field where the running kernel has it', function () {
    requireTool(this, BPFTOOL);
    requireTool(this, CLANG);
    const fields: ReadonlyArray<readonly [string, keyof BtfLoadAttr]> = [
      ['btf', 'btf'],
      ['btf_log_buf', 'btfLogBuf'],
      ['btf_size', 'btfSize'],
      ['btf_log_size', 'btfLogSize'],
      ['btf_log_level', 'btfLogLevel'],
      ['btf_log_true_size', 'btfLogTrueSize'],
      ['btf_flags', 'btfFlags'],
      ['btf_token_fd', 'btfTokenFd'],
    ];
    const bytes = checkLayout(fields, (a) => encodeBtfLoadAttr(a as unknown as BtfLoadAttr), {}, []);
    expect(bytes.length).to.equal(BTF_LOAD_ATTR_SIZE);
  });

  it('refuses map names and values the kernel would reject', function () {
    expect(() => encodeMapCreateAttr({ mapType: 1, mapName: 'a name' })).to.throw(
      AttrFieldError,
      "bpf_attr.map_name: name 'a name' has ' ' at 1; the kernel accepts only letters, digits, '_' and '.'",
    );
    expect(() => encodeMapCreateAttr({ mapType: 1, mapName: 'x'.repeat(16) })).to.throw(AttrFieldError, 'is 16 characters; the kernel allows at most 15');
    expect(() => encodeMapCreateAttr({ mapType: 1, keySize: 1.5 })).to.throw(AttrFieldError, 'bpf_attr.key_size: 1.5 is not a u32');
    expect(() => encodeMapCreateAttr({ mapType: 1, mapExtra: -2n })).to.throw(AttrFieldError, 'bpf_attr.map_extra: -2 is not a u64');
    expect(() => encodeMapCreateAttr({ mapType: 1, valueTypeBtfObjFd: 2 ** 31 })).to.throw(AttrFieldError, 'bpf_attr.value_type_btf_obj_fd: 2147483648 is not an s32');
  });
});

describe('sys/map-create: mapCreate against the kernel', function () {
  before(function () {
    requirePrivileges(this);
  });

  it('creates a map the kernel describes back with the same attributes', function () {
    const before = openFds();
    const fd = mapCreate({ type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 16, name: 'mc_hash', flags: MapCreateFlag.NO_PREALLOC });
    try {
      const info = getMapInfo(fd);
      expect(info).to.include({ type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 16, name: 'mc_hash', mapFlags: MapCreateFlag.NO_PREALLOC });
    } finally {
      native().close(fd);
    }
    expect(openFds()).to.equal(before);
  });

  it('passes map_extra (bloom filter hash count) and inner_map_fd (map-in-map)', function () {
    const bloom = mapCreate({ type: MapType.BLOOM_FILTER, keySize: 0, valueSize: 4, maxEntries: 8, mapExtra: 3n });
    try {
      expect(getMapInfo(bloom).mapExtra).to.equal(3n);
    } finally {
      native().close(bloom);
    }
    const inner = mapCreate({ type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
    try {
      const outer = mapCreate({ type: MapType.ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 2, innerMapFd: inner });
      native().close(outer);
      const noInner = tryMapCreate({ type: MapType.ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 2 });
      expect(noInner.ok).to.equal(false);
    } finally {
      native().close(inner);
    }
  });

  it('passes btf_fd and the key/value type ids (storage maps require them)', function () {
    // int; struct val { int cnt; } (type ids 1, 2)
    const strings = '\0val\0cnt\0';
    const types = Uint32Array.from([0, 1 << 24, 4, (1 << 24) | 32, 1, (4 << 24) | 1, 4, 5, 1, 0]);
    const str = new TextEncoder().encode(strings);
    const raw = new Uint8Array(24 + types.byteLength + str.byteLength);
    const v = new DataView(raw.buffer);
    v.setUint16(0, 0xeb9f, true);
    v.setUint8(2, 1);
    v.setUint32(4, 24, true);
    v.setUint32(12, types.byteLength, true);
    v.setUint32(16, types.byteLength, true);
    v.setUint32(20, str.byteLength, true);
    raw.set(new Uint8Array(types.buffer), 24);
    raw.set(str, 24 + types.byteLength);
    const { fd: btfFd, log } = btfLoad({ data: raw, logLevel: 1 });
    expect(log).to.contain('[2] STRUCT val size=4 vlen=1');
    try {
      const spec = { type: MapType.TASK_STORAGE, keySize: 4, valueSize: 4, maxEntries: 0, flags: MapCreateFlag.NO_PREALLOC };
      expect(tryMapCreate(spec).ok).to.equal(false);
      const fd = mapCreate({ ...spec, btfFd, btfKeyTypeId: 1, btfValueTypeId: 2, name: 'mc_task' });
      try {
        const info = getMapInfo(fd);
        expect(info).to.include({ btfKeyTypeId: 1, btfValueTypeId: 2, type: MapType.TASK_STORAGE });
        expect(info.btfId).to.be.greaterThan(0);
      } finally {
        native().close(fd);
      }
    } finally {
      native().close(btfFd);
    }
  });

  it('throws a SysError naming the map when the kernel refuses', function () {
    expect(() => mapCreate({ type: MapType.HASH, keySize: 0, valueSize: 4, maxEntries: 1, name: 'mc_bad' }))
      .to.throw(SysError, /^BPF_MAP_CREATE 'mc_bad' failed \(EINVAL\)/)
      .with.property('command', 'BPF_MAP_CREATE');
    expect(() => mapCreate({ type: MapType.HASH, keySize: 0, valueSize: 4, maxEntries: 1 })).to.throw(
      SysError,
      /^BPF_MAP_CREATE \(map_type 1\) failed \(EINVAL\)/,
    );
    const r = tryMapCreate({ type: 9999, keySize: 4, valueSize: 4, maxEntries: 1 });
    expect(r.ok).to.equal(false);
    if (!r.ok) expect(r.code).to.equal('EINVAL');
  });
});
