import { expect } from 'chai';
import { parseRegisterValue, parseVerifierState } from '../../src/verifier-log/index.js';

// Inputs are register texts copied from the captured fixtures (and, where noted, from the
// printers in kernel/bpf/log.c for shapes our programs do not produce).
describe('verifier-log: register states', () => {
  it('reads chained bound keys and the tnum of a bounded scalar', () => {
    const v = parseRegisterValue('scalar(smin=smin32=0,smax=umax=smax32=umax32=64,var_off=(0x0; 0x7f))');
    expect(v.type).to.equal('scalar');
    expect(v.nullable).to.equal(false);
    expect(v.bounds).to.deep.equal({
      smin: 0n, smin32: 0n, smax: 64n, umax: 64n, smax32: 64n, umax32: 64n, varOff: { value: 0n, mask: 0x7fn },
    });
  });

  it('reads 64-bit bounds that do not fit a double exactly', () => {
    const v = parseRegisterValue('scalar(smax=0x7fffffff00000000,umax=0xffffffff00000000,smin32=0,smax32=umax32=0,var_off=(0x0; 0xffffffff00000000))');
    expect(v.bounds.smax).to.equal(0x7fffffff00000000n);
    expect(v.bounds.umax).to.equal(0xffffffff00000000n);
    expect(v.bounds.varOff?.mask).to.equal(0xffffffff00000000n);
  });

  it('reads the pre-5.19 spelling of scalars and bounds', () => {
    // print_verifier_state() of 5.15: `R1_w=invP(id=0,umax_value=255,var_off=(0x0; 0xff))`.
    const state = parseVerifierState('R1_w=invP(id=0,umax_value=255,var_off=(0x0; 0xff)) R2=inv(id=0,s32_min_value=-1,u32_max_value=7)');
    expect(state?.registers[0]).to.include({ type: 'scalar', raw: 'invP(id=0,umax_value=255,var_off=(0x0; 0xff))', liveness: 'w' });
    expect(state?.registers[0]?.bounds).to.deep.equal({ umax: 255n, varOff: { value: 0n, mask: 0xffn } });
    expect(state?.registers[1]?.bounds).to.deep.equal({ smin32: -1n, umax32: 7n });
  });

  it('reads known constants, decimal, hex and negative', () => {
    expect(parseRegisterValue('101')).to.include({ type: 'scalar', value: 101n });
    expect(parseRegisterValue('0x1631d').value).to.equal(0x1631dn);
    expect(parseRegisterValue('-22').bounds).to.include({ smin: -22n, smax: -22n });
  });

  it('reads frame-pointer offsets', () => {
    expect(parseRegisterValue('fp-4')).to.include({ type: 'fp', offset: -4 });
    expect(parseRegisterValue('fp0')).to.include({ type: 'fp', offset: 0 });
  });

  it('reads nullable pointers with ids, reference ids and extra fields', () => {
    const v = parseRegisterValue('ringbuf_mem_or_null(id=2,ref_obj_id=2,sz=4)');
    expect(v).to.include({ type: 'ringbuf_mem_or_null', nullable: true, id: 2, refObjId: 2 });
    expect(v.fields['sz']).to.equal('4');
    const map = parseRegisterValue('map_value(map=slots,ks=4,vs=64,smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))');
    expect(map.map).to.deep.equal({ name: 'slots', keySize: 4, valueSize: 64 });
    expect(map.bounds.umax).to.equal(0xffffffffn);
    // Global data maps have dots in their names (log.c prints map->name verbatim).
    expect(parseRegisterValue('map_value(map=prog.bss,ks=4,vs=16)').map?.name).to.equal('prog.bss');
    // Packet pointers (log.c: off= and r= for the checked range).
    const pkt = parseRegisterValue('pkt(off=14,r=34)');
    expect(pkt).to.include({ type: 'pkt', offset: 14 });
    expect(pkt.fields['r']).to.equal('34');
    expect(parseRegisterValue('ptr_or_null_task_struct(id=3)').nullable).to.equal(true);
  });

  it('splits a state into registers, stack slots, spilled registers and refs', () => {
    const state = parseVerifierState('R0=ringbuf_mem(ref_obj_id=2,sz=4) R1_w=scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff)) R10=fp0 fp-8=mmmm???? fp-16_w=ctx() refs=2,5');
    expect(state?.registers.map((r) => [r.reg, r.regno, r.type, r.liveness])).to.deep.equal([
      ['R0', 0, 'ringbuf_mem', undefined],
      ['R1', 1, 'scalar', 'w'],
      ['R10', 10, 'fp', undefined],
    ]);
    expect(state?.stack[0]).to.include({ offset: -8, slotTypes: 'mmmm????' });
    expect(state?.stack[1]).to.include({ offset: -16, liveness: 'w' });
    expect(state?.stack[1]?.spilled?.type).to.equal('ctx');
    expect(state?.refs).to.deep.equal([2, 5]);
    expect(state?.other).to.deep.equal([]);
  });

  it('reads the frame of a subprogram state', () => {
    const state = parseVerifierState('frame1: R1=ctx() R10=fp0');
    expect(state?.frame).to.equal(1);
    expect(state?.registers).to.have.length(2);
  });

  it('returns undefined for text that holds no state, and keeps stray tokens', () => {
    expect(parseVerifierState('asm volatile("" : "+r"(n)); @ infinite_loop.bpf.c:11')).to.equal(undefined);
    expect(parseVerifierState('R1=ctx() whatever')?.other).to.deep.equal(['whatever']);
  });

  it('survives unbalanced parentheses and empty values', () => {
    const v = parseRegisterValue('scalar(smin=0,var_off=(0x0; ');
    expect(v.type).to.equal('scalar');
    expect(v.bounds.varOff).to.equal(undefined);
    expect(parseVerifierState('R1= R2=)(')?.registers.map((r) => r.reg)).to.deep.equal(['R1', 'R2']);
  });
});
