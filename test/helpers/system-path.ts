/**
 * Loaded by mocha before every test file (.mocharc.json `require`). Tests run administration
 * tools (tc, useradd, userdel) that Debian installs in sbin; a root shell that is not a login
 * shell, or a CI runner's minimal environment, may have a PATH without those directories, and
 * then the tests would fail with ENOENT for a reason unrelated to bpf-ts.
 */
import { delimiter } from 'node:path';

const SYSTEM_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

const path = (process.env['PATH'] ?? '').split(delimiter).filter((d) => d !== '');
const missing = SYSTEM_DIRS.filter((d) => !path.includes(d));
if (missing.length > 0) process.env['PATH'] = [...path, ...missing].join(delimiter);
