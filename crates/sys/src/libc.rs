//! The C library functions we call, declared by hand (x86_64/aarch64 Linux, glibc or musl ABI).

#![allow(non_camel_case_types)]

use std::os::raw::{c_char, c_int, c_long, c_uint, c_ulong, c_void};

pub type off_t = i64;

pub const SYS_BPF: c_long = if cfg!(target_arch = "aarch64") { 280 } else { 321 };
pub const SYS_PERF_EVENT_OPEN: c_long = if cfg!(target_arch = "aarch64") { 241 } else { 298 };

pub const MAP_FAILED: *mut c_void = !0usize as *mut c_void;
pub const MAP_FIXED: c_int = 0x10;
pub const MAP_FIXED_NOREPLACE: c_int = 0x100000;
pub const EPOLL_CLOEXEC: c_int = 0o2000000;
pub const F_DUPFD_CLOEXEC: c_int = 1030;
pub const SC_PAGESIZE: c_int = 30;

pub const EINTR: c_int = 4;
pub const EBADF: c_int = 9;
pub const ENODEV: c_int = 19;
pub const ENOMEM: c_int = 12;

/// `struct epoll_event`: the kernel packs it on x86_64 only (12 bytes), natural layout elsewhere.
#[cfg_attr(target_arch = "x86_64", repr(C, packed))]
#[cfg_attr(not(target_arch = "x86_64"), repr(C))]
#[derive(Clone, Copy)]
pub struct epoll_event {
    pub events: u32,
    pub data: u64,
}

extern "C" {
    pub fn __errno_location() -> *mut c_int;
    pub fn syscall(number: c_long, ...) -> c_long;
    pub fn mmap(addr: *mut c_void, len: usize, prot: c_int, flags: c_int, fd: c_int, offset: off_t) -> *mut c_void;
    pub fn munmap(addr: *mut c_void, len: usize) -> c_int;
    pub fn close(fd: c_int) -> c_int;
    pub fn ioctl(fd: c_int, request: c_ulong, ...) -> c_int;
    pub fn epoll_create1(flags: c_int) -> c_int;
    pub fn epoll_ctl(epfd: c_int, op: c_int, fd: c_int, event: *mut epoll_event) -> c_int;
    pub fn epoll_wait(epfd: c_int, events: *mut epoll_event, maxevents: c_int, timeout: c_int) -> c_int;
    pub fn mount(
        source: *const c_char,
        target: *const c_char,
        fstype: *const c_char,
        flags: c_ulong,
        data: *const c_void,
    ) -> c_int;
    pub fn umount2(target: *const c_char, flags: c_int) -> c_int;
    pub fn socket(domain: c_int, ty: c_int, protocol: c_int) -> c_int;
    pub fn setsockopt(fd: c_int, level: c_int, name: c_int, value: *const c_void, len: c_uint) -> c_int;
    pub fn read(fd: c_int, buf: *mut c_void, count: usize) -> isize;
    pub fn write(fd: c_int, buf: *const c_void, count: usize) -> isize;
    pub fn fcntl(fd: c_int, cmd: c_int, ...) -> c_int;
    pub fn if_nametoindex(name: *const c_char) -> c_uint;
    pub fn sysconf(name: c_int) -> c_long;
}

/// The calling thread's `errno`.
pub fn errno() -> c_int {
    // SAFETY: __errno_location always returns a valid pointer to this thread's errno.
    unsafe { *__errno_location() }
}

/// Clears `errno`, for calls whose failure value is also a valid result (`if_nametoindex`).
pub fn clear_errno() {
    // SAFETY: as in `errno`.
    unsafe { *__errno_location() = 0 }
}
