//! `pollStart`/`pollStop`: a libuv poll handle on Node's own event loop, so waiting for an fd
//! costs nothing and never blocks JS.
//!
//! Lifetime: a [`Poll`] is owned jointly by libuv (until the handle's close callback) and by the JS
//! handle object (until its finalizer). It is freed when both are done, whichever is last.
//! * `pollStop` (or `close(fd)` on the polled fd, or environment teardown) stops the handle and
//!   starts `uv_close`; the callback never runs after that.
//! * A JS handle dropped while the poll is active does NOT stop it: like a socket, an active poll
//!   keeps running and keeps the process alive until its fd is closed through this addon or the
//!   environment exits.
//! * Environment teardown (process exit, `worker.terminate()`) closes still-active handles from a
//!   cleanup hook, because a worker's loop must have no open handles left when it is closed.
//!
//! All fields are touched only on the thread of the environment that created the poll; the global
//! registry (guarded by a lock) only maps live polls to their fd and environment.

use std::collections::BTreeMap;
use std::os::raw::{c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::null_mut;
use std::sync::{Mutex, MutexGuard};

use crate::js::{self, Ctx, Error, Result};
use crate::libc;
use crate::napi::*;

/// libuv's event bits, the same values as the TS `PollEvents` (plus UV_PRIORITIZED = 8).
const UV_DISCONNECT: i32 = 4;
const ALL_EVENTS: i64 = 1 | 2 | 4 | 8;

struct Poll {
    /// `uv_poll_t` storage: `words` 16-byte-aligned words (uv_handle_size(UV_POLL) bytes).
    handle: *mut uv_handle_t,
    words: usize,
    env: napi_env,
    callback: napi_ref,
    async_ctx: napi_async_context,
    /// uv_close has been called: no more callbacks, JS references released.
    closing: bool,
    /// libuv's close callback ran: libuv no longer touches `handle`.
    uv_closed: bool,
    /// The JS handle object has not been finalized yet.
    js_alive: bool,
    /// An environment cleanup hook is registered for this poll.
    hook: bool,
}

/// Live polls -> (fd, env), for `pollStop` to recognise its handles and `close` to find polls.
static POLLS: Mutex<BTreeMap<usize, (c_int, usize)>> = Mutex::new(BTreeMap::new());

fn polls() -> MutexGuard<'static, BTreeMap<usize, (c_int, usize)>> {
    POLLS.lock().unwrap_or_else(|e| e.into_inner())
}

pub fn poll_start(cx: &Ctx) -> Result<napi_value> {
    cx.expect_args(3)?;
    let env = cx.env;
    let fd = cx.fd(0)?;
    let events = cx.int(1, "events", 1.0, ALL_EVENTS as f64)? as c_int;
    if cx.type_of(2)? != NAPI_FUNCTION {
        return js::type_err(format!("{}: callback must be a function", cx.name));
    }
    if fd < 0 {
        // libuv asserts on negative fds instead of returning an error.
        return Err(Error::Sys { errno: libc::EBADF, syscall: "poll" });
    }
    let mut lp: *mut uv_loop_t = null_mut();
    // SAFETY: valid env and out-pointer.
    js::check(unsafe { napi_get_uv_event_loop(env, &mut lp) }, "napi_get_uv_event_loop")?;

    // SAFETY: uv_handle_size only reads a constant table.
    let size = unsafe { uv_handle_size(UV_POLL) };
    let words = size.div_ceil(16).max(1);
    let storage: Box<[u128]> = vec![0u128; words].into_boxed_slice();
    let handle = Box::into_raw(storage) as *mut u128 as *mut uv_handle_t;
    // SAFETY: `handle` points at `size` writable, suitably aligned bytes owned by us; on failure
    // uv_poll_init leaves the handle unregistered, so we may free it right away.
    let r = unsafe { uv_poll_init(lp, handle, fd) };
    if r < 0 {
        // SAFETY: reconstructs the Box we just leaked; libuv does not know this handle.
        unsafe { drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(handle as *mut u128, words))) };
        return Err(Error::Sys { errno: -r, syscall: "poll" });
    }
    let state = Box::into_raw(Box::new(Poll {
        handle,
        words,
        env,
        callback: null_mut(),
        async_ctx: null_mut(),
        closing: false,
        uv_closed: false,
        js_alive: true,
        hook: false,
    }));
    polls().insert(state as usize, (fd, env as usize));
    // SAFETY: the handle is initialized; `state` outlives it (freed only after uv_close's callback).
    unsafe { uv_handle_set_data(handle, state as *mut c_void) };

    // SAFETY: `state` is valid and only used on this thread; on any failure `abandon` hands it
    // over to the close path, which frees it once libuv is done with the handle.
    unsafe {
        let result = (|| -> Result<napi_value> {
            let p = &mut *state;
            js::check(napi_create_reference(env, cx.arg(2), 1, &mut p.callback), "napi_create_reference")?;
            js::check(
                napi_async_init(env, null_mut(), js::string(env, "bpf-ts:poll")?, &mut p.async_ctx),
                "napi_async_init",
            )?;
            let r = uv_poll_start(handle, events, on_poll);
            if r < 0 {
                return Err(Error::Sys { errno: -r, syscall: "poll" });
            }
            js::check(napi_add_env_cleanup_hook(env, cleanup_hook, state as *mut c_void), "napi_add_env_cleanup_hook")?;
            p.hook = true;
            let mut external = null_mut();
            js::check(
                napi_create_external(env, state as *mut c_void, Some(finalize_handle), null_mut(), &mut external),
                "napi_create_external",
            )?;
            Ok(external)
        })();
        if result.is_err() {
            (*state).js_alive = false;
            stop(state, false);
        }
        result
    }
}

pub fn poll_stop(cx: &Ctx) -> Result<napi_value> {
    cx.expect_args(1)?;
    let not_handle = || js::type_err(format!("{}: expected a handle returned by pollStart()", cx.name));
    if cx.type_of(0)? != NAPI_EXTERNAL {
        return not_handle();
    }
    let mut ptr: *mut c_void = null_mut();
    // SAFETY: the value is an external (checked above).
    js::check(unsafe { napi_get_value_external(cx.env, cx.arg(0), &mut ptr) }, "napi_get_value_external")?;
    // Externals from other addons carry foreign pointers: only dereference registered ones.
    match polls().get(&(ptr as usize)) {
        Some(&(_, env)) if env == cx.env as usize => {}
        _ => return not_handle(),
    }
    // SAFETY: registered, belongs to this environment (hence this thread), not yet freed.
    unsafe { stop(ptr as *mut Poll, false) };
    unsafe { js::undefined(cx.env) }
}

/// Stops the polls of `fd` in this environment before the fd is closed: libuv must not keep an
/// fd number in its epoll set that the kernel may hand out again (or abort on EBADF).
pub fn forget_fd(env: napi_env, fd: c_int) {
    let mine: Vec<usize> =
        polls().iter().filter(|(_, &(f, e))| f == fd && e == env as usize).map(|(&p, _)| p).collect();
    for p in mine {
        // SAFETY: registered polls of this environment live on this thread and are not freed
        // until both uv_close's callback and the JS finalizer ran, neither of which runs now.
        unsafe { stop(p as *mut Poll, false) };
    }
}

/// Stops and closes the handle (once) and releases the JS references. `teardown`: called from
/// the environment cleanup hook, where the environment is going away and frees its references
/// itself, so no Node-API calls are made.
unsafe fn stop(state: *mut Poll, teardown: bool) {
    let p = &mut *state;
    if p.closing {
        return;
    }
    p.closing = true;
    uv_poll_stop(p.handle);
    uv_close(p.handle, Some(on_close));
    if teardown {
        return;
    }
    if !p.callback.is_null() {
        napi_delete_reference(p.env, p.callback);
        p.callback = null_mut();
    }
    if !p.async_ctx.is_null() {
        napi_async_destroy(p.env, p.async_ctx);
        p.async_ctx = null_mut();
    }
    if p.hook {
        napi_remove_env_cleanup_hook(p.env, cleanup_hook, state as *mut c_void);
        p.hook = false;
    }
}

/// Frees a poll that neither libuv nor JS can reach any more.
unsafe fn free(state: *mut Poll) {
    polls().remove(&(state as usize));
    let p = Box::from_raw(state);
    drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(p.handle as *mut u128, p.words)));
}

unsafe extern "C" fn on_poll(handle: *mut uv_handle_t, status: c_int, events: c_int) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        let state = uv_handle_get_data(handle) as *mut Poll;
        if state.is_null() || (*state).closing {
            return;
        }
        let env = (*state).env;
        let mut scope = null_mut();
        if napi_open_handle_scope(env, &mut scope) != NAPI_OK {
            return;
        }
        let _ = deliver(state, status, events);
        napi_close_handle_scope(env, scope);
    }));
}

/// Calls the JS callback with the ready events (or, when libuv reports an error, with DISCONNECT
/// and an Error as second argument). A throwing callback becomes an uncaught exception, exactly
/// like one thrown from a timer.
unsafe fn deliver(state: *mut Poll, status: c_int, events: c_int) -> Result<()> {
    let p = &*state;
    let env = p.env;
    let mut cb = null_mut();
    js::check(napi_get_reference_value(env, p.callback, &mut cb), "napi_get_reference_value")?;
    if cb.is_null() {
        return Ok(());
    }
    let mut recv = null_mut();
    js::check(napi_get_global(env, &mut recv), "napi_get_global")?;
    let mut argv = [null_mut(); 2];
    let argc = if status < 0 {
        argv[0] = js::number(env, UV_DISCONNECT as f64)?;
        argv[1] = js::sys_error(env, -status, "poll")?;
        2
    } else {
        argv[0] = js::number(env, (events as i64 & ALL_EVENTS) as f64)?;
        1
    };
    let mut result = null_mut();
    // `p` must not be used after this call: the callback may stop the poll.
    let async_ctx = p.async_ctx;
    let status = napi_make_callback(env, async_ctx, recv, cb, argc, argv.as_ptr(), &mut result);
    if status != NAPI_OK {
        let mut pending = false;
        if napi_is_exception_pending(env, &mut pending) == NAPI_OK && pending {
            let mut exc = null_mut();
            if napi_get_and_clear_last_exception(env, &mut exc) == NAPI_OK {
                napi_fatal_exception(env, exc);
            }
        }
    }
    Ok(())
}

unsafe extern "C" fn on_close(handle: *mut uv_handle_t) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        let state = uv_handle_get_data(handle) as *mut Poll;
        (*state).uv_closed = true;
        if !(*state).js_alive {
            free(state);
        }
    }));
}

unsafe extern "C" fn finalize_handle(_env: napi_env, data: *mut c_void, _hint: *mut c_void) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        let state = data as *mut Poll;
        (*state).js_alive = false;
        if (*state).uv_closed {
            free(state);
        }
    }));
}

unsafe extern "C" fn cleanup_hook(arg: *mut c_void) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        let state = arg as *mut Poll;
        (*state).hook = false;
        stop(state, true);
    }));
}
