#!/usr/bin/env node
// mkinitramfs.mjs LIST OUT
//
// Writes an uncompressed "newc" cpio archive (the initramfs format) described by LIST, in the
// spirit of the kernel's usr/gen_init_cpio. Why our own writer instead of `cpio`/`busybox cpio`:
// the archive needs /dev/console (a character device, opened by the kernel for init's stdio
// before /init runs), and creating device nodes on disk needs root; here an entry is just a
// header. Uncompressed, because decompressing in the guest costs more under TCG than reading a few
// MB more.
//
// LIST lines (fields separated by single spaces; '#' starts a comment line):
//   dir   <path> <mode-octal>
//   file  <path> <source-on-host> <mode-octal>
//   slink <path> <target> <mode-octal>
//   nod   <path> <mode-octal> c|b <major> <minor>
// Every entry is owned by root (uid/gid 0). Parent directories must be listed before children.
import { readFileSync, writeFileSync, statSync } from 'node:fs';

const [listPath, outPath] = process.argv.slice(2);
if (!listPath || !outPath) {
  process.stderr.write('usage: mkinitramfs.mjs LIST OUT\n');
  process.exit(2);
}

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;

const chunks = [];
let offset = 0;
let ino = 1;
const mtime = Math.floor(Date.now() / 1000);

function push(buf) {
  chunks.push(buf);
  offset += buf.length;
}

function pad4() {
  const rem = offset % 4;
  if (rem !== 0) push(Buffer.alloc(4 - rem));
}

function hex8(n) {
  return (n >>> 0).toString(16).padStart(8, '0');
}

function entry(name, mode, data, rdevMajor = 0, rdevMinor = 0) {
  const nameBuf = Buffer.from(name + '\0', 'utf8');
  const fields = [
    '070701',
    hex8(ino++),
    hex8(mode),
    hex8(0), // uid
    hex8(0), // gid
    hex8((mode & 0o170000) === S_IFDIR ? 2 : 1), // nlink
    hex8(mtime),
    hex8(data.length),
    hex8(0), // devmajor
    hex8(0), // devminor
    hex8(rdevMajor),
    hex8(rdevMinor),
    hex8(nameBuf.length),
    hex8(0), // check (unused by newc)
  ];
  push(Buffer.from(fields.join(''), 'ascii'));
  push(nameBuf);
  pad4();
  push(data);
  pad4();
}

const lines = readFileSync(listPath, 'utf8').split('\n');
for (const [i, raw] of lines.entries()) {
  const line = raw.trim();
  if (line === '' || line.startsWith('#')) continue;
  const f = line.split(' ');
  const where = `${listPath}:${i + 1}`;
  const path = (f[1] ?? '').replace(/^\/+/, '');
  if (path === '') throw new Error(`${where}: missing path`);
  switch (f[0]) {
    case 'dir':
      entry(path, S_IFDIR | parseInt(f[2] ?? '755', 8), Buffer.alloc(0));
      break;
    case 'file': {
      const src = f[2];
      if (!src) throw new Error(`${where}: file needs a source`);
      const data = readFileSync(src);
      const mode = f[3] ? parseInt(f[3], 8) : statSync(src).mode & 0o7777;
      entry(path, S_IFREG | mode, data);
      break;
    }
    case 'slink':
      if (!f[2]) throw new Error(`${where}: slink needs a target`);
      entry(path, S_IFLNK | parseInt(f[3] ?? '777', 8), Buffer.from(f[2], 'utf8'));
      break;
    case 'nod': {
      const type = f[3] === 'b' ? S_IFBLK : f[3] === 'c' ? S_IFCHR : undefined;
      if (type === undefined) throw new Error(`${where}: nod type must be c or b`);
      entry(path, type | parseInt(f[2] ?? '600', 8), Buffer.alloc(0), Number(f[4]), Number(f[5]));
      break;
    }
    default:
      throw new Error(`${where}: unknown entry type '${f[0]}'`);
  }
}
entry('TRAILER!!!', 0, Buffer.alloc(0));
// The kernel reads the archive in 512-byte blocks; pad like cpio does.
const rem = offset % 512;
if (rem !== 0) push(Buffer.alloc(512 - rem));
writeFileSync(outPath, Buffer.concat(chunks));
