//! `mmap`/`munmap` as external ArrayBuffers.
//!
//! Each mapping has a heap-allocated [`Mapping`] that is the ArrayBuffer's finalize hint, so the
//! finalizer always knows which mapping it belongs to, even when a later mapping reuses the same
//! address. A registry keyed by address lets `munmap(ab)` find the live mapping from the buffer's
//! data pointer. The `unmapped` flag, read and written only under the registry lock, makes sure
//! each mapping is unmapped exactly once, by `munmap` or by the finalizer, whichever comes first.

use std::collections::BTreeMap;
use std::os::raw::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::null_mut;
use std::sync::{Mutex, MutexGuard};

use crate::js::{self, Ctx, Error, Result};
use crate::libc;
use crate::napi::*;

struct Mapping {
    addr: usize,
    len: usize,
    unmapped: bool,
}

/// A registry entry: the `Mapping` (as usize: raw pointers are not Send), a serial number that
/// tells a new mapping from an old one at the same address even if the allocator reuses the
/// `Mapping`'s memory, and the length.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Entry {
    state: usize,
    serial: u64,
    len: usize,
}

struct Registry {
    by_addr: BTreeMap<usize, Entry>,
    next_serial: u64,
}

/// Live mappings by address. Every access to a `Mapping` from munmap happens under this lock and
/// only after finding its entry, so it never touches a freed one.
static LIVE: Mutex<Registry> = Mutex::new(Registry { by_addr: BTreeMap::new(), next_serial: 0 });

fn live() -> MutexGuard<'static, Registry> {
    // A panic while holding the lock cannot leave the map inconsistent (single inserts/removes),
    // so a poisoned lock is still usable.
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Largest length we map: V8's limit for an ArrayBuffer (2^53 - 1) is far above any address
/// space, so the kernel's ENOMEM is what normally stops absurd lengths.
const MAX_LEN: f64 = 9007199254740991.0;

pub fn mmap(cx: &Ctx) -> Result<napi_value> {
    cx.expect_args(5)?;
    let fd = cx.fd(0)?;
    let len = cx.int(1, "length", 1.0, MAX_LEN)? as usize;
    let prot = cx.i32(2, "prot")?;
    let flags = cx.i32(3, "flags")?;
    let offset = cx.int(4, "offset", 0.0, MAX_LEN)?;
    // We always pass addr = NULL: MAP_FIXED would then map over whatever lives at address 0 and
    // upwards (root may), replacing the process's own memory.
    if flags & (libc::MAP_FIXED | libc::MAP_FIXED_NOREPLACE) != 0 {
        return js::range_err(format!("{}: MAP_FIXED and MAP_FIXED_NOREPLACE are not supported", cx.name));
    }
    // SAFETY: a NULL hint without MAP_FIXED lets the kernel pick unused address space, so the new
    // mapping cannot overlap memory anyone else owns.
    let addr = unsafe { libc::mmap(null_mut(), len, prot, flags, fd, offset) };
    if addr == libc::MAP_FAILED {
        return js::last_os_error("mmap");
    }
    let state = Box::into_raw(Box::new(Mapping { addr: addr as usize, len, unmapped: false }));
    {
        let mut reg = live();
        reg.next_serial += 1;
        let entry = Entry { state: state as usize, serial: reg.next_serial, len };
        reg.by_addr.insert(addr as usize, entry);
    }
    let mut ab = null_mut();
    // SAFETY: the mapping is `len` bytes at `addr` and stays mapped until the finalizer or munmap
    // (which detaches the buffer first) runs, so JS never sees unmapped memory through it.
    let status =
        unsafe { napi_create_external_arraybuffer(cx.env, addr, len, Some(finalize), state as *mut c_void, &mut ab) };
    if status != NAPI_OK {
        // SAFETY: no ArrayBuffer owns the mapping or the state, so we still do.
        unsafe {
            live().by_addr.remove(&(addr as usize));
            libc::munmap(addr, len);
            drop(Box::from_raw(state));
        }
        return Err(Error::Napi("napi_create_external_arraybuffer"));
    }
    Ok(ab)
}

/// Runs on the JS thread when the buffer is collected, detached, or its environment is torn down.
unsafe extern "C" fn finalize(_env: napi_env, _data: *mut c_void, hint: *mut c_void) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        let state = hint as *mut Mapping;
        {
            let mut reg = live();
            // SAFETY: `state` came from Box::into_raw in mmap and is freed only below, once.
            let m = &mut *state;
            if !m.unmapped {
                m.unmapped = true;
                libc::munmap(m.addr as *mut c_void, m.len);
            }
            if reg.by_addr.get(&m.addr).map(|e| e.state) == Some(state as usize) {
                reg.by_addr.remove(&m.addr);
            }
        }
        drop(Box::from_raw(state));
    }));
}

pub fn munmap(cx: &Ctx) -> Result<napi_value> {
    cx.expect_args(1)?;
    let env = cx.env;
    let ab = cx.arg(0);
    let mut is_ab = false;
    // SAFETY: valid env/value handles and out-pointers to locals.
    unsafe { js::check(napi_is_arraybuffer(env, ab, &mut is_ab), "napi_is_arraybuffer")? };
    if !is_ab {
        return js::type_err(format!("{}: expected an ArrayBuffer returned by mmap()", cx.name));
    }
    let mut detached = false;
    // SAFETY: as above.
    unsafe { js::check(napi_is_detached_arraybuffer(env, ab, &mut detached), "napi_is_detached_arraybuffer")? };
    if detached {
        // Already unmapped (or transferred away: then the new owner's finalizer unmaps it).
        return unsafe { js::undefined(env) };
    }
    let mut data: *mut c_void = null_mut();
    let mut len = 0usize;
    // SAFETY: as above.
    unsafe { js::check(napi_get_arraybuffer_info(env, ab, &mut data, &mut len), "napi_get_arraybuffer_info")? };
    let entry = match live().by_addr.get(&(data as usize)) {
        Some(e) if e.len == len => *e,
        _ => return js::type_err(format!("{}: this ArrayBuffer was not returned by mmap()", cx.name)),
    };
    // Detach before unmapping: if detaching failed, JS could still reach the memory.
    // SAFETY: valid env and ArrayBuffer handle.
    unsafe { js::check(napi_detach_arraybuffer(env, ab), "napi_detach_arraybuffer")? };
    let addr = data as usize;
    {
        let mut reg = live();
        if reg.by_addr.get(&addr) != Some(&entry) {
            // Detaching ran the finalizer synchronously (or another thread did): already unmapped.
            return unsafe { js::undefined(env) };
        }
        reg.by_addr.remove(&addr);
        // SAFETY: the entry is still registered, so the Mapping is not freed (the finalizer
        // removes the entry under this lock before freeing), and the lock makes us its only user.
        unsafe { (*(entry.state as *mut Mapping)).unmapped = true };
    }
    // SAFETY: this exact mapping is ours, now unreachable from JS, and marked so no one else unmaps it.
    if unsafe { libc::munmap(addr as *mut c_void, len) } != 0 {
        return js::last_os_error("munmap");
    }
    unsafe { js::undefined(env) }
}
