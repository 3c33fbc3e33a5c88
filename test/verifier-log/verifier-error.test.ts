import { expect } from 'chai';
import { BpfTsError } from '../../src/errors/index.js';
import { VerifierError } from '../../src/verifier-log/index.js';
import { lineOf, readFixture } from './fixture-files.js';

describe('verifier-log: VerifierError', () => {
  it('a pre-6.3 log (source text without "@ file:line") is named at the file and line of the program\'s line info', () => {
    // Linux 6.1's words for the same rejection: the source lines carry no file and line.
    const rawLog = readFixture('null_deref').replace(/ @ \S+:\d+$/gm, '');
    expect(rawLog).to.not.include(' @ ');
    const line = lineOf('null_deref', 'return *value;');
    const lineInfo = [
      { insnIndex: 0, fileName: '/src/bpf/null_deref.bpf.c', lineNumber: 15 },
      { insnIndex: 4, fileName: '/src/bpf/null_deref.bpf.c', lineNumber: 16 },
      { insnIndex: 7, fileName: '/src/bpf/null_deref.bpf.c', lineNumber: line },
    ];
    const bare = new VerifierError({ program: 'null_deref', rawLog });
    expect(bare.message.split('\n')[0]).to.equal(`program 'null_deref' rejected by the verifier at "return *value;": ${bare.explanation.summary}`);
    const named = new VerifierError({ program: 'null_deref', rawLog, context: { lineInfo } });
    expect(named.message.split('\n')[0]).to.equal(`program 'null_deref' rejected by the verifier at null_deref.bpf.c:${line}: ${named.explanation.summary}`);
    expect(named.explanation.source).to.deep.equal({ text: 'return *value;', file: 'null_deref.bpf.c', line });
  });

  it('names the program and the failing source line in its message, then explains', () => {
    const rawLog = readFixture('null_deref');
    const cause = new Error('EACCES');
    const error = new VerifierError({ program: 'null_deref', rawLog, errno: 13, cause });
    const line = lineOf('null_deref', 'return *value;');
    const [headline, paragraph, ...rest] = error.message.split('\n');
    expect(headline).to.equal(
      `program 'null_deref' rejected by the verifier at null_deref.bpf.c:${line}: ${error.explanation.summary}`,
    );
    expect(paragraph).to.equal(error.explanation.paragraph);
    expect(rest).to.deep.equal([]);
    expect(error).to.be.instanceOf(BpfTsError);
    expect(error.name).to.equal('VerifierError');
    expect(error).to.include({ program: 'null_deref', rawLog, errno: 13 });
    expect(error.cause).to.equal(cause);
    expect(error.log.failedInsn).to.equal(7);
    expect(error.explanation.kind).to.equal('null-pointer-unchecked');
  });

  it('passes the loader context to the explanation', () => {
    const rawLog = readFixture('core_poison_raw');
    const error = new VerifierError({
      program: 'core_poison_raw',
      rawLog,
      context: { coreFailures: [{ insnIndex: 4, description: 'struct task_struct.nonexistent_field' }] },
    });
    expect(error.message.split('\n')[0]).to.contain('struct task_struct.nonexistent_field');
    expect(error.errno).to.equal(undefined);
  });

  it('falls back to the instruction index when the object has no line info', () => {
    const rawLog = readFixture('bad_return').split('\n').filter((l) => !l.startsWith(';')).join('\n');
    const error = new VerifierError({ program: 'bad_return', rawLog });
    expect(error.message.split('\n')[0]).to.match(/^program 'bad_return' rejected by the verifier at instruction 1: /);
    expect(error.explanation.paragraph).to.contain('built without -g');
  });

  it('has a message even for an empty log', () => {
    const error = new VerifierError({ program: 'p', rawLog: '' });
    expect(error.message).to.match(/^program 'p' rejected by the verifier: the log ends before/);
  });
});
