/**
 * glibc's `strerror()` texts for the errnos bpf() and its neighbours return, so the CLI can print
 * exactly what bpftool prints (`get by id (7): No such file or directory`). Codes missing here
 * fall back to glibc's own fallback wording.
 */
const MESSAGES: Readonly<Record<number, string>> = {
  1: 'Operation not permitted',
  2: 'No such file or directory',
  3: 'No such process',
  4: 'Interrupted system call',
  5: 'Input/output error',
  6: 'No such device or address',
  7: 'Argument list too long',
  9: 'Bad file descriptor',
  11: 'Resource temporarily unavailable',
  12: 'Cannot allocate memory',
  13: 'Permission denied',
  14: 'Bad address',
  16: 'Device or resource busy',
  17: 'File exists',
  18: 'Invalid cross-device link',
  19: 'No such device',
  20: 'Not a directory',
  21: 'Is a directory',
  22: 'Invalid argument',
  23: 'Too many open files in system',
  24: 'Too many open files',
  25: 'Inappropriate ioctl for device',
  28: 'No space left on device',
  30: 'Read-only file system',
  34: 'Numerical result out of range',
  36: 'File name too long',
  38: 'Function not implemented',
  39: 'Directory not empty',
  40: 'Too many levels of symbolic links',
  61: 'No data available',
  75: 'Value too large for defined data type',
  95: 'Operation not supported',
  110: 'Connection timed out',
};

/** `strerror(errno)` as glibc words it (`2` -> `'No such file or directory'`). */
export function strerror(errno: number): string {
  return MESSAGES[errno] ?? `Unknown error ${errno}`;
}
