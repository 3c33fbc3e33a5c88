/**
 * BPF C -> object with the system clang, against a `vmlinux.h` generated from the running
 * kernel's BTF, cached by content hash (`compile`, `compileFile`, `compileObjectSpec`).
 * Imports src/btf, src/loader and src/errors.
 */
export { compile, compileFile, compileObjectSpec, type CompileOptions, type CompileResult } from './compile.js';
export { CompileCacheError, CompileError, CompilerNotFoundError } from './errors.js';
export { findClang } from './find-clang.js';
export { defaultCacheDir } from './cache-dir.js';
export { ensureVmlinuxHeader, btfIdentity, type VmlinuxHeader } from './vmlinux-header.js';
export { parseDepfile } from './depfile.js';
