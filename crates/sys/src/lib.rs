//! bpf-ts-sys: the raw system calls bpf-ts needs, as a Node-API addon with no dependencies.
//!
//! Every function checks its arguments, makes one system call and turns failure into a JS
//! `Error` carrying `errno`, `code` and `syscall`. Nothing here encodes or decodes kernel
//! structs: that is the TypeScript side's job (`src/sys/`). The JS-facing contract is
//! `src/sys/native.ts`.
//!
//! Safety rule for the whole crate: no panic may cross the C ABI (each entry point runs under
//! `catch_unwind`), and no pointer derived from JS input reaches the kernel without its length.

#[rustfmt::skip]
mod errno_table;
mod elem;
mod js;
mod libc;
mod mapping;
mod napi;
mod poll;

use std::os::raw::{c_char, c_int, c_long, c_ulong, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::null_mut;

use js::{Ctx, Error, Result};
use napi::*;

/// JS numbers are exact up to 2^53 - 1; larger integer arguments would silently round.
const MAX_SAFE: f64 = 9007199254740991.0;

fn int_result(env: napi_env, r: c_long, syscall: &'static str) -> Result<napi_value> {
    if r < 0 {
        return js::last_os_error(syscall);
    }
    // SAFETY: valid env.
    unsafe { js::number(env, r as f64) }
}

fn unit_result(env: napi_env, r: c_int, syscall: &'static str) -> Result<napi_value> {
    if r < 0 {
        return js::last_os_error(syscall);
    }
    // SAFETY: valid env.
    unsafe { js::undefined(env) }
}

/// The kernel writes results back into `union bpf_attr` at fixed offsets regardless of the size
/// we pass (e.g. BPF_PROG_TEST_RUN's `duration`), so a short attr buffer would let it write past
/// the end of JS memory. The call therefore goes through a scratch copy at least this large
/// (far above sizeof(union bpf_attr)), and only the caller's bytes are copied back.
const ATTR_SCRATCH: usize = 4096;

/// Checks the arguments of `bpf`/`bpfErrno` and makes the call: the syscall's return value,
/// with `errno` intact when it is negative. Argument errors are `Err`.
fn bpf_call(cx: &Ctx) -> Result<c_long> {
    cx.expect_args(2)?;
    let cmd = cx.i32(0, "cmd")?;
    let attr = cx.bytes(1, "attr")?;
    if attr.len > u32::MAX as usize {
        return js::range_err(format!("{}: attr is longer than 4 GiB", cx.name));
    }
    let r = if attr.len <= ATTR_SCRATCH {
        // Left uninitialised: the kernel reads only the first attr.len bytes (copied in below) and
        // may write inside the rest, and only the first attr.len bytes are copied back. Zeroing
        // 4 KiB per call was a measurable part of a map lookup.
        let mut scratch = std::mem::MaybeUninit::<[u8; ATTR_SCRATCH]>::uninit();
        let scratch = scratch.as_mut_ptr() as *mut u8;
        // SAFETY: `attr` is attr.len readable/writable bytes (checked by Ctx::bytes) and scratch is
        // larger; the kernel reads/writes only within scratch; no JS runs during the call.
        unsafe {
            if attr.len > 0 {
                std::ptr::copy_nonoverlapping(attr.ptr, scratch, attr.len);
            }
            let r = libc::syscall(libc::SYS_BPF, cmd as c_long, scratch, attr.len as c_long);
            let errno = libc::errno();
            if attr.len > 0 {
                std::ptr::copy_nonoverlapping(scratch, attr.ptr, attr.len);
            }
            *libc::__errno_location() = errno;
            r
        }
    } else {
        // SAFETY: longer than any union bpf_attr, so the kernel's write-backs land inside it.
        unsafe { libc::syscall(libc::SYS_BPF, cmd as c_long, attr.ptr, attr.len as c_long) }
    };
    Ok(r)
}

fn bpf(cx: &Ctx) -> Result<napi_value> {
    let r = bpf_call(cx)?;
    int_result(cx.env, r, "bpf")
}

/// `bpf()` that returns a failed call's `-errno` instead of throwing, for the failures hot paths
/// expect (ENOENT: a missing map key, the end of a walk), where building and throwing a JS error
/// costs several times the system call. Bad arguments still throw, as for `bpf`.
fn bpf_errno(cx: &Ctx) -> Result<napi_value> {
    let r = bpf_call(cx)?;
    let v = if r < 0 { -(libc::errno() as f64) } else { r as f64 };
    // SAFETY: valid env.
    unsafe { js::number(cx.env, v) }
}

/// The `Error` a failed system call throws (`errno`, `code`, `syscall`, strerror message), built
/// and returned, not thrown: for callers of `bpfErrno` whose failure was not the expected one.
fn sys_error(cx: &Ctx) -> Result<napi_value> {
    cx.expect_args(2)?;
    let errno = cx.int(0, "errno", 1.0, 4095.0)? as i32;
    let syscall = cx.cstring(1, "syscall", false)?.unwrap_or_default();
    // SAFETY: valid env.
    unsafe { js::sys_error(cx.env, errno, &syscall.to_string_lossy()) }
}

fn perf_event_open(cx: &Ctx) -> Result<napi_value> {
    cx.expect_args(5)?;
    let attr = cx.bytes(0, "attr")?;
    let pid = cx.i32(1, "pid")?;
    let cpu = cx.i32(2, "cpu")?;
    let group_fd = cx.i32(3, "groupFd")?;
    let flags = cx.int(4, "flags", 0.0, MAX_SAFE)? as c_ulong;
    // The kernel reads as many bytes as attr.size says (up to a page), whatever the buffer's
    // length: give it a zero-extended copy so it never reads past the JS buffer.
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::SC_PAGESIZE) }.max(4096) as usize;
    let mut scratch = vec![0u8; attr.len.max(page)];
    // SAFETY: attr is attr.len valid bytes; scratch is at least that long; the kernel only
    // touches scratch (reads up to a page, writes back attr.size at offset 4).
    let r = unsafe {
        if attr.len > 0 {
            std::ptr::copy_nonoverlapping(attr.ptr, scratch.as_mut_ptr(), attr.len);
        }
        let r = libc::syscall(
            libc::SYS_PERF_EVENT_OPEN,
            scratch.as_mut_ptr(),
            pid as c_long,
            cpu as c_long,
            group_fd as c_long,
            flags,
        );
        let errno = libc::errno();
        if attr.len > 0 {
            std::ptr::copy_nonoverlapping(scratch.as_ptr(), attr.ptr, attr.len);
        }
        *libc::__errno_location() = errno;
        r
    };
    int_result(cx.env, r, "perf_event_open")
}

fn ioctl(cx: &Ctx) -> Result<napi_value> {
    cx.expect_args(3)?;
    let fd = cx.fd(0)?;
    let request = cx.u32(1, "request")? as c_ulong;
    // _IOC encoding: direction in bits 30-31 (1 = user to kernel, 2 = kernel to user), argument
    // size in bits 16-29.
    let dir = (request >> 30) & 3;
    let size = ((request >> 16) & 0x3fff) as usize;
    let r = if cx.type_of(2)? == NAPI_NUMBER {
        let arg = cx.int(2, "arg", -MAX_SAFE, MAX_SAFE)?;
        // An integer for a request that writes to user memory would be a raw address for the
        // kernel to write to: refuse it (0 stays allowed: NULL gets EFAULT). Integers remain fine
        // for _IO and _IOW requests, some of which take a value (PERF_EVENT_IOC_SET_BPF: an fd).
        if dir & 2 != 0 && arg != 0 {
            return js::type_err(format!(
                "{}: ioctl 0x{request:x} writes {size} bytes to its argument: pass a buffer, not a number",
                cx.name
            ));
        }
        // SAFETY: an integer the kernel does not write through (checked above for encoded
        // requests; legacy unencoded requests are the caller's contract).
        unsafe { libc::ioctl(fd, request, arg as c_ulong) }
    } else {
        let buf = cx.bytes(2, "arg")?;
        // When the request declares a size, refuse buffers shorter than what the kernel copies.
        if dir != 0 && size > buf.len {
            return js::range_err(format!(
                "{}: ioctl 0x{request:x} transfers {size} bytes but the buffer has {}",
                cx.name, buf.len
            ));
        }
        // SAFETY: the buffer is buf.len valid bytes, at least the request's declared size.
        unsafe { libc::ioctl(fd, request, buf.ptr) }
    };
    int_result(cx.env, r as c_long, "ioctl")
}

fn close(cx: &Ctx) -> Result<napi_value> {
    cx.expect_args(1)?;
    let fd = cx.fd(0)?;
    poll::forget_fd(cx.env, fd);
    // SAFETY: closing an fd cannot corrupt our memory; a wrong one is the caller's EBADF.
    let r = unsafe { libc::close(fd) };
    // Linux always releases the fd, even when close reports EINTR: retrying could close an
    // unrelated fd that reused the number, so EINTR counts as success.
    if r < 0 && libc::errno() == libc::EINTR {
        return unsafe { js::undefined(cx.env) };
    }
    unit_result(cx.env, r, "close")
}

fn address(cx: &Ctx) -> Result<napi_value> {
    cx.expect_args(1)?;
    let b = cx.bytes(0, "buffer")?;
    let mut v = null_mut();
    // SAFETY: valid env and out-pointer.
    js::check(unsafe { napi_create_bigint_uint64(cx.env, b.ptr as u64, &mut v) }, "napi_create_bigint_uint64")?;
    Ok(v)
}

fn epoll_create(cx: &Ctx) -> Result<napi_value> {
    // SAFETY: no pointers involved.
    let r = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    int_result(cx.env, r as c_long, "epoll_create1")
}

fn epoll_ctl(cx: &Ctx) -> Result<napi_value> {
    cx.expect_args(5)?;
    let epfd = cx.fd(0)?;
    let op = cx.i32(1, "op")?;
    let fd = cx.i32(2, "fd")?;
    let events = cx.u32(3, "events")?;
    let data = cx.int(4, "data", 0.0, MAX_SAFE)? as u64;
    let mut ev = libc::epoll_event { events, data };
    // SAFETY: `ev` is a valid epoll_event for the duration of the call.
    let r = unsafe { libc::epoll_ctl(epfd, op, fd, &mut ev) };
    unit_result(cx.env, r, "epoll_ctl")
}

fn epoll_wait(cx: &Ctx) -> Result<napi_value> {
    cx.expect_args(3)?;
    let env = cx.env;
    let epfd = cx.fd(0)?;
    let max = cx.int(1, "maxEvents", 1.0, 65536.0)? as usize;
    let timeout = cx.int(2, "timeoutMs", -1.0, i32::MAX as f64)? as c_int;
    let mut evs = vec![libc::epoll_event { events: 0, data: 0 }; max];
    // SAFETY: `evs` has room for `max` entries.
    let n = unsafe { libc::epoll_wait(epfd, evs.as_mut_ptr(), max as c_int, timeout) };
    if n < 0 {
        if libc::errno() == libc::EINTR {
            // A signal cut the wait short: nothing is ready, which the caller handles anyway.
            return unsafe { array_of_events(env, &[]) };
        }
        return js::last_os_error("epoll_wait");
    }
    unsafe { array_of_events(env, &evs[..n as usize]) }
}

unsafe fn array_of_events(env: napi_env, evs: &[libc::epoll_event]) -> Result<napi_value> {
    let mut arr = null_mut();
    js::check(napi_create_array_with_length(env, evs.len(), &mut arr), "napi_create_array_with_length")?;
    for (i, ev) in evs.iter().enumerate() {
        // Copy out of the packed struct before use (no references to packed fields).
        let (events, data) = (ev.events, ev.data);
        let mut obj = null_mut();
        js::check(napi_create_object(env, &mut obj), "napi_create_object")?;
        js::set(env, obj, b"data\0", js::number(env, data as f64)?)?;
        js::set(env, obj, b"events\0", js::number(env, events as f64)?)?;
        js::check(napi_set_element(env, arr, i as u32, obj), "napi_set_element")?;
    }
    Ok(arr)
}

fn opt_ptr(s: &Option<std::ffi::CString>) -> *const c_char {
    s.as_ref().map_or(std::ptr::null(), |s| s.as_ptr())
}

fn mount(cx: &Ctx) -> Result<napi_value> {
    cx.expect_args(4)?;
    let source = cx.cstring(0, "source", true)?;
    let target = cx.cstring(1, "target", false)?;
    let fstype = cx.cstring(2, "fstype", true)?;
    let flags = cx.int(3, "flags", 0.0, MAX_SAFE)? as c_ulong;
    let data = cx.cstring(4, "data", true)?;
    // SAFETY: all pointers are NUL-terminated strings (or NULL) living until the call returns.
    let r = unsafe {
        libc::mount(opt_ptr(&source), opt_ptr(&target), opt_ptr(&fstype), flags, opt_ptr(&data) as *const c_void)
    };
    unit_result(cx.env, r, "mount")
}

fn umount(cx: &Ctx) -> Result<napi_value> {
    cx.expect_args(2)?;
    let target = cx.cstring(0, "target", false)?;
    let flags = cx.i32(1, "flags")?;
    // SAFETY: a NUL-terminated string living until the call returns.
    let r = unsafe { libc::umount2(opt_ptr(&target), flags) };
    unit_result(cx.env, r, "umount2")
}

fn socket(cx: &Ctx) -> Result<napi_value> {
    cx.expect_args(3)?;
    let (domain, ty, protocol) = (cx.i32(0, "domain")?, cx.i32(1, "type")?, cx.i32(2, "protocol")?);
    // SAFETY: no pointers involved.
    let r = unsafe { libc::socket(domain, ty, protocol) };
    int_result(cx.env, r as c_long, "socket")
}

fn setsockopt(cx: &Ctx) -> Result<napi_value> {
    cx.expect_args(4)?;
    let fd = cx.fd(0)?;
    let level = cx.i32(1, "level")?;
    let name = cx.i32(2, "name")?;
    let value = cx.bytes(3, "value")?;
    if value.len > u32::MAX as usize {
        return js::range_err(format!("{}: value is longer than 4 GiB", cx.name));
    }
    // SAFETY: the kernel reads value.len bytes, all valid.
    let r = unsafe { libc::setsockopt(fd, level, name, value.ptr as *const c_void, value.len as u32) };
    unit_result(cx.env, r, "setsockopt")
}

fn read(cx: &Ctx) -> Result<napi_value> {
    cx.expect_args(2)?;
    let fd = cx.fd(0)?;
    let buf = cx.bytes(1, "buffer")?;
    // SAFETY: the kernel writes at most buf.len bytes, all inside the buffer.
    let r = unsafe { libc::read(fd, buf.ptr as *mut c_void, buf.len) };
    int_result(cx.env, r as c_long, "read")
}

fn write(cx: &Ctx) -> Result<napi_value> {
    cx.expect_args(2)?;
    let fd = cx.fd(0)?;
    let buf = cx.bytes(1, "buffer")?;
    // SAFETY: the kernel reads at most buf.len bytes, all inside the buffer.
    let r = unsafe { libc::write(fd, buf.ptr as *const c_void, buf.len) };
    int_result(cx.env, r as c_long, "write")
}

fn dup(cx: &Ctx) -> Result<napi_value> {
    cx.expect_args(1)?;
    let fd = cx.fd(0)?;
    // SAFETY: F_DUPFD_CLOEXEC takes an integer argument.
    let r = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0 as c_int) };
    int_result(cx.env, r as c_long, "fcntl")
}

fn if_name_to_index(cx: &Ctx) -> Result<napi_value> {
    cx.expect_args(1)?;
    let name = cx.cstring(0, "name", false)?;
    libc::clear_errno();
    // SAFETY: a NUL-terminated string living until the call returns.
    let idx = unsafe { libc::if_nametoindex(opt_ptr(&name)) };
    if idx == 0 {
        let e = libc::errno();
        return Err(Error::Sys { errno: if e == 0 { libc::ENODEV } else { e }, syscall: "if_nametoindex" });
    }
    unsafe { js::number(cx.env, idx as f64) }
}

fn page_size(cx: &Ctx) -> Result<napi_value> {
    // SAFETY: no preconditions.
    let r = unsafe { libc::sysconf(libc::SC_PAGESIZE) };
    int_result(cx.env, r, "sysconf")
}

/// Runs one exported function: builds the argument context, catches panics, throws errors.
unsafe fn dispatch(
    env: napi_env,
    info: napi_callback_info,
    name: &'static str,
    f: fn(&Ctx) -> Result<napi_value>,
) -> napi_value {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let cx = Ctx::new(env, info, name)?;
        f(&cx)
    }));
    match outcome {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            e.throw(env);
            null_mut()
        }
        Err(_) => {
            Error::Napi("internal panic in bpf-ts-sys").throw(env);
            null_mut()
        }
    }
}

macro_rules! exports {
    ($($js:literal => $f:path),* $(,)?) => {
        /// (JS name with NUL, entry point) for every exported function.
        const EXPORTS: &[(&str, napi_callback)] = &[
            $((concat!($js, "\0"), {
                unsafe extern "C" fn entry(env: napi_env, info: napi_callback_info) -> napi_value {
                    dispatch(env, info, $js, $f)
                }
                entry
            })),*
        ];
    };
}

exports! {
    "bpf" => bpf,
    "bpfErrno" => bpf_errno,
    "mapElemBlock" => elem::map_elem_block,
    "sysError" => sys_error,
    "perfEventOpen" => perf_event_open,
    "ioctl" => ioctl,
    "mmap" => mapping::mmap,
    "munmap" => mapping::munmap,
    "close" => close,
    "address" => address,
    "pollStart" => poll::poll_start,
    "pollStop" => poll::poll_stop,
    "epollCreate" => epoll_create,
    "epollCtl" => epoll_ctl,
    "epollWait" => epoll_wait,
    "mount" => mount,
    "umount" => umount,
    "socket" => socket,
    "setsockopt" => setsockopt,
    "read" => read,
    "write" => write,
    "dup" => dup,
    "ifNameToIndex" => if_name_to_index,
    "pageSize" => page_size,
}

/// Node-API module entry point, found by name when Node loads the shared object.
///
/// # Safety
/// Called by Node with a valid environment and exports object.
#[no_mangle]
pub unsafe extern "C" fn napi_register_module_v1(env: napi_env, exports: napi_value) -> napi_value {
    let r = catch_unwind(AssertUnwindSafe(|| {
        // Every function gets the environment's element-block table as its data (elem.rs);
        // the environment's share is dropped when it is torn down.
        let table = elem::table_new();
        if napi_add_env_cleanup_hook(env, elem::table_release, table) != NAPI_OK {
            elem::table_release(table);
            return false;
        }
        for (name, entry) in EXPORTS {
            let mut f = null_mut();
            if napi_create_function(env, name.as_ptr() as *const c_char, name.len() - 1, *entry, table, &mut f)
                != NAPI_OK
                || napi_set_named_property(env, exports, name.as_ptr() as *const c_char, f) != NAPI_OK
            {
                return false;
            }
        }
        true
    }));
    if !matches!(r, Ok(true)) {
        Error::Napi("napi_register_module_v1").throw(env);
    }
    exports
}
