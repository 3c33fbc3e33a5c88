import { expect } from 'chai';
import { formatLinearHistogram, formatLog2Histogram, formatSectionHistograms, HistogramError, log2Counts, log2Slot, starBar } from '../../src/index.js';

// Every expected string below is what bcc's Python `_print_log2_hist` / `_print_linear_hist`
// (src/python/bcc/table.py) prints for the same input: the algorithm was run on these inputs
// and its output pasted here, line by line.

const BAR = (n: number, width = 40): string => `|${'*'.repeat(n).padEnd(width)}|`;

describe('histogram: log2 (bcc print_log2_hist)', () => {
  it('prints header, ranges, counts and 40-wide bars up to the last non-zero slot', () => {
    expect(formatLog2Histogram([0, 1, 3, 10, 0, 2, 0, 0], { valType: 'usecs' })).to.equal(
      '     usecs               : count     distribution\n' +
        `         0 -> 1          : 1        ${BAR(4)}\n` +
        `         2 -> 3          : 3        ${BAR(12)}\n` +
        `         4 -> 7          : 10       ${BAR(40)}\n` +
        `         8 -> 15         : 0        ${BAR(0)}\n` +
        `        16 -> 31         : 2        ${BAR(8)}\n`,
    );
  });

  it("uses 'value' as the default label and keeps a long label unpadded", () => {
    expect(formatLog2Histogram([0, 1])).to.match(/^ {5}value {15}: count {5}distribution\n/);
    expect(formatLog2Histogram([0, 2, 1], { valType: 'a-very-long-value-type-label' })).to.equal(
      '     a-very-long-value-type-label : count     distribution\n' +
        `         0 -> 1          : 2        ${BAR(40)}\n` +
        `         2 -> 3          : 1        ${BAR(20)}\n`,
    );
  });

  it('prints nothing when every count is zero, or only slot 0 has counts', () => {
    expect(formatLog2Histogram([])).to.equal('');
    expect(formatLog2Histogram(new Array(65).fill(0))).to.equal('');
    expect(formatLog2Histogram([5, 0, 0])).to.equal('');
  });

  it('prints slot 0 never, but lets its count set the scale', () => {
    expect(formatLog2Histogram([80, 0, 20, 40], { valType: 'nsecs' })).to.equal(
      '     nsecs               : count     distribution\n' +
        `         0 -> 1          : 0        ${BAR(0)}\n` +
        `         2 -> 3          : 20       ${BAR(10)}\n` +
        `         4 -> 7          : 40       ${BAR(20)}\n`,
    );
  });

  it('one non-empty bucket: every slot from 1 up to it, or only it with stripLeadingZero', () => {
    expect(formatLog2Histogram([0, 0, 0, 7], { valType: 'usecs' })).to.equal(
      '     usecs               : count     distribution\n' +
        `         0 -> 1          : 0        ${BAR(0)}\n` +
        `         2 -> 3          : 0        ${BAR(0)}\n` +
        `         4 -> 7          : 7        ${BAR(40)}\n`,
    );
    expect(formatLog2Histogram([0, 0, 0, 7], { valType: 'usecs', stripLeadingZero: true })).to.equal(
      '     usecs               : count     distribution\n' + `         4 -> 7          : 7        ${BAR(40)}\n`,
    );
  });

  it('stripLeadingZero drops only the zeros before the first count', () => {
    expect(formatLog2Histogram([0, 0, 0, 0, 5, 0, 9, 0], { valType: 'msecs', stripLeadingZero: true })).to.equal(
      '     msecs               : count     distribution\n' +
        `         8 -> 15         : 5        ${BAR(22)}\n` +
        `        16 -> 31         : 0        ${BAR(0)}\n` +
        `        32 -> 63         : 9        ${BAR(40)}\n`,
    );
  });

  it('switches to the wide layout (20-digit ranges, 20-star bars) when the last slot is above 32', () => {
    const counts = new Array<number>(34).fill(0);
    counts[1] = 1;
    counts[33] = 4;
    const text = formatLog2Histogram(counts, { valType: 'bytes' });
    const lines = text.split('\n');
    expect(lines[0]).to.equal('               bytes                         : count     distribution');
    expect(lines[1]).to.equal(`                   0 -> 1                    : 1        ${BAR(5, 20)}`);
    expect(lines[2]).to.equal(`                   2 -> 3                    : 0        ${BAR(0, 20)}`);
    expect(lines[32]).to.equal(`          2147483648 -> 4294967295           : 0        ${BAR(0, 20)}`);
    expect(lines[33]).to.equal(`          4294967296 -> 8589934591           : 4        ${BAR(20, 20)}`);
    expect(lines).to.have.length(35); // header, 33 slots, and the '' after the final newline
    // Slot 32 as the last one keeps the narrow layout.
    expect(formatLog2Histogram([...new Array<number>(32).fill(0), 1]).split('\n')[32]).to.equal(`2147483648 -> 4294967295 : 1        ${BAR(40)}`);
  });

  it('prints u64 counts and the 2^63..2^64-1 slot exactly, rounding bars as Python does', () => {
    const counts: bigint[] = new Array<bigint>(65).fill(0n);
    counts[62] = 1n;
    counts[63] = 2n ** 64n - 2n;
    counts[64] = 2n ** 64n - 1n;
    // 20 * (2^64-2) / (2^64-1) is 19.999..., which Python's float division rounds to 20.0.
    expect(formatLog2Histogram(counts, { stripLeadingZero: true })).to.equal(
      '               value                         : count     distribution\n' +
        ` 2305843009213693952 -> 4611686018427387903  : 1        ${BAR(0, 20)}\n` +
        ` 4611686018427387904 -> 9223372036854775807  : 18446744073709551614 ${BAR(20, 20)}\n` +
        ` 9223372036854775808 -> 18446744073709551615 : 18446744073709551615 ${BAR(20, 20)}\n`,
    );
  });

  it('bigint counts beyond 2^53 in the narrow layout: exact digits, Python-rounded bars', () => {
    expect(formatLog2Histogram([0n, 9007199254740993n, 3n, 4503599627370496n], { valType: 'ns' })).to.equal(
      '     ns                  : count     distribution\n' +
        `         0 -> 1          : 9007199254740993 ${BAR(40)}\n` +
        `         2 -> 3          : 3        ${BAR(0)}\n` +
        `         4 -> 7          : 4503599627370496 ${BAR(19)}\n`,
    );
    expect(formatLog2Histogram([0n, 2n ** 60n - 1n, 2n ** 60n, 2n ** 59n])).to.equal(
      '     value               : count     distribution\n' +
        `         0 -> 1          : 1152921504606846975 ${BAR(40)}\n` +
        `         2 -> 3          : 1152921504606846976 ${BAR(40)}\n` +
        `         4 -> 7          : 576460752303423488 ${BAR(20)}\n`,
    );
    expect(formatLog2Histogram([0, 2 ** 40 - 1, 2 ** 40])).to.equal(
      '     value               : count     distribution\n' +
        `         0 -> 1          : 1099511627775 ${BAR(39)}\n` +
        `         2 -> 3          : 1099511627776 ${BAR(40)}\n`,
    );
    expect(formatLog2Histogram([0, 39, 40, 1])).to.equal(
      '     value               : count     distribution\n' +
        `         0 -> 1          : 39       ${BAR(39)}\n` +
        `         2 -> 3          : 40       ${BAR(40)}\n` +
        `         4 -> 7          : 1        ${BAR(1)}\n`,
    );
  });

  it('refuses negative, fractional and unsafe counts with a HistogramError naming the index', () => {
    expect(() => formatLog2Histogram([0, -1])).to.throw(HistogramError, 'count at index 1 is not a non-negative safe integer (-1)');
    expect(() => formatLog2Histogram([0, 1.5])).to.throw(HistogramError, 'count at index 1 is not a non-negative safe integer (1.5)');
    expect(() => formatLinearHistogram([2 ** 60])).to.throw(HistogramError, 'pass a bigint for counts above 2^53');
    expect(() => formatLog2Histogram([0n, -3n])).to.throw(HistogramError, 'count at index 1 is negative (-3)');
  });
});

describe('histogram: linear (bcc print_linear_hist)', () => {
  it('prints every value from 0 to the last non-zero one', () => {
    expect(formatLinearHistogram([2, 0, 4, 0, 0], { valType: 'queue' })).to.equal(
      '     queue         : count     distribution\n' +
        `        0          : 2        ${BAR(20)}\n` +
        `        1          : 0        ${BAR(0)}\n` +
        `        2          : 4        ${BAR(40)}\n`,
    );
  });

  it('prints bucket 0 alone, nothing for all zeros, and strips leading zeros on request', () => {
    expect(formatLinearHistogram([5], { valType: 'x' })).to.equal('     x             : count     distribution\n' + `        0          : 5        ${BAR(40)}\n`);
    expect(formatLinearHistogram([0, 0])).to.equal('');
    expect(formatLinearHistogram([0, 0, 3, 1], { valType: 'depth', stripLeadingZero: true })).to.equal(
      '     depth         : count     distribution\n' + `        2          : 3        ${BAR(40)}\n` + `        3          : 1        ${BAR(13)}\n`,
    );
  });
});

describe('histogram: sections (bcc section_header / section_print_fn / bucket_sort_fn)', () => {
  const sda = { key: 'sda', counts: [0, 0, 5] };
  const nvme = { key: 'nvme0n1', counts: [0, 1] };

  it('prints a blank line, "<header> = <key>" and the histogram per section, in the given order', () => {
    expect(formatSectionHistograms([sda, nvme], { sectionHeader: 'disk', valType: 'usecs' })).to.equal(
      '\ndisk = sda\n' +
        '     usecs               : count     distribution\n' +
        `         0 -> 1          : 0        ${BAR(0)}\n` +
        `         2 -> 3          : 5        ${BAR(40)}\n` +
        '\ndisk = nvme0n1\n' +
        '     usecs               : count     distribution\n' +
        `         0 -> 1          : 1        ${BAR(40)}\n`,
    );
  });

  it("defaults to bcc's 'Bucket ptr' header, and takes a key formatter, a sort and the linear kind", () => {
    const text = formatSectionHistograms([{ key: 7n, counts: [1] }, { key: 3n, counts: [0, 2] }], {
      kind: 'linear',
      formatKey: (k) => `pid ${k}`,
      sortKeys: (keys) => [...keys].sort((a, b) => (a < b ? -1 : 1)),
    });
    expect(text).to.equal(
      '\nBucket ptr = pid 3\n' +
        '     value         : count     distribution\n' +
        `        0          : 0        ${BAR(0)}\n` +
        `        1          : 2        ${BAR(40)}\n` +
        '\nBucket ptr = pid 7\n' +
        '     value         : count     distribution\n' +
        `        0          : 1        ${BAR(40)}\n`,
    );
    expect(formatSectionHistograms([{ key: { pid: 1, tid: 2n }, counts: [0, 1] }])).to.contain('\nBucket ptr = {"pid":1,"tid":2}\n');
  });
});

describe('histogram: slots and bars', () => {
  it("log2Slot is bcc's bpf_log2l: 0 and 1 in slot 1, then floor(log2 v) + 1", () => {
    expect([0, 1, 2, 3, 4, 7, 8, 1023, 1024].map(log2Slot)).to.deep.equal([1, 1, 2, 2, 3, 3, 4, 10, 11]);
    expect(log2Slot(2n ** 64n - 1n)).to.equal(64);
    expect(() => log2Slot(-1)).to.throw(RangeError);
    const counts = log2Counts([0, 1, 5, 6, 7, 1000]);
    expect(counts).to.have.length(65);
    expect(counts.slice(0, 11)).to.deep.equal([0n, 2n, 0n, 3n, 0n, 0n, 0n, 0n, 0n, 0n, 1n]);
  });

  it("starBar matches bcc's _stars, including '+' for a count above the maximum", () => {
    expect(starBar(0n, 10n, 40)).to.equal('');
    expect(starBar(10n, 10n, 40)).to.equal('*'.repeat(40));
    expect(starBar(1n, 3n, 40)).to.equal('*'.repeat(13));
    expect(starBar(20n, 10n, 40)).to.equal(`${'*'.repeat(39)}+`);
  });
});
