//! Argument checking, value creation and error throwing on top of the raw Node-API calls.
//!
//! Every exported function runs as `fn(&Ctx) -> Result<napi_value, Error>`: arguments are checked
//! here before anything reaches the kernel, and an `Err` becomes exactly one JS exception.
//!
//! Arguments are checked, never coerced: coercion (`valueOf`, `toString`) would run user JS in
//! the middle of a call, and that JS could detach or resize a buffer whose pointer we already
//! hold. As it is, no JS runs between reading a buffer's address and the system call using it.

use std::ffi::CString;
use std::os::raw::{c_char, c_void};
use std::ptr::null_mut;

use crate::errno_table::ERRNO_TABLE;
use crate::napi::*;

/// A failure to report to JS.
#[derive(Debug)]
pub enum Error {
    /// Wrong argument type or count: `TypeError` with code `ERR_INVALID_ARG_TYPE`.
    Type(String),
    /// Right type, unusable value (non-integer, out of range, too short): `RangeError`.
    Range(String),
    /// A failed system call: `Error` with `errno`, `code`, `syscall`.
    Sys { errno: i32, syscall: &'static str },
    /// A Node-API call failed; an exception may already be pending.
    Napi(&'static str),
}

pub type Result<T> = std::result::Result<T, Error>;

pub fn type_err<T>(msg: String) -> Result<T> {
    Err(Error::Type(msg))
}

pub fn range_err<T>(msg: String) -> Result<T> {
    Err(Error::Range(msg))
}

/// Turns a Node-API status into a Result.
pub fn check(status: napi_status, what: &'static str) -> Result<()> {
    if status == NAPI_OK {
        Ok(())
    } else {
        Err(Error::Napi(what))
    }
}

/// The symbolic name and strerror() text of `errno`.
pub fn errno_info(errno: i32) -> (String, String) {
    match ERRNO_TABLE.binary_search_by_key(&errno, |e| e.0) {
        Ok(i) => (ERRNO_TABLE[i].1.to_string(), ERRNO_TABLE[i].2.to_string()),
        Err(_) => ("UNKNOWN".to_string(), format!("Unknown error {errno}")),
    }
}

/// `napi_value` for a Rust string (strings with NULs are passed by length, so any &str works).
pub unsafe fn string(env: napi_env, s: &str) -> Result<napi_value> {
    let mut v = null_mut();
    check(napi_create_string_utf8(env, s.as_ptr() as *const c_char, s.len(), &mut v), "napi_create_string_utf8")?;
    Ok(v)
}

pub unsafe fn number(env: napi_env, n: f64) -> Result<napi_value> {
    let mut v = null_mut();
    check(napi_create_double(env, n, &mut v), "napi_create_double")?;
    Ok(v)
}

pub unsafe fn undefined(env: napi_env) -> Result<napi_value> {
    let mut v = null_mut();
    check(napi_get_undefined(env, &mut v), "napi_get_undefined")?;
    Ok(v)
}

pub unsafe fn set(env: napi_env, obj: napi_value, key: &'static [u8], value: napi_value) -> Result<()> {
    debug_assert!(key.ends_with(b"\0"));
    check(napi_set_named_property(env, obj, key.as_ptr() as *const c_char, value), "napi_set_named_property")
}

/// Builds (without throwing) the JS error for a failed system call.
pub unsafe fn sys_error(env: napi_env, errno: i32, syscall: &str) -> Result<napi_value> {
    let (code, text) = errno_info(errno);
    let mut err = null_mut();
    check(
        napi_create_error(env, string(env, &code)?, string(env, &format!("{syscall}: {text}"))?, &mut err),
        "napi_create_error",
    )?;
    set(env, err, b"errno\0", number(env, errno as f64)?)?;
    set(env, err, b"syscall\0", string(env, syscall)?)?;
    Ok(err)
}

impl Error {
    /// Throws this error into JS. Never fails loudly: if even building the error object fails,
    /// whatever exception Node-API left pending is what JS sees.
    pub unsafe fn throw(self, env: napi_env) {
        let mut pending = false;
        if napi_is_exception_pending(env, &mut pending) == NAPI_OK && pending {
            return;
        }
        let built: Result<napi_value> = (|| {
            let mut err = null_mut();
            match &self {
                Error::Type(msg) => check(
                    napi_create_type_error(env, string(env, "ERR_INVALID_ARG_TYPE")?, string(env, msg)?, &mut err),
                    "napi_create_type_error",
                )?,
                Error::Range(msg) => check(
                    napi_create_range_error(env, string(env, "ERR_OUT_OF_RANGE")?, string(env, msg)?, &mut err),
                    "napi_create_range_error",
                )?,
                Error::Sys { errno, syscall } => err = sys_error(env, *errno, syscall)?,
                Error::Napi(what) => check(
                    napi_create_error(
                        env,
                        string(env, "ERR_NAPI")?,
                        string(env, &format!("bpf-ts-sys: {what} failed"))?,
                        &mut err,
                    ),
                    "napi_create_error",
                )?,
            }
            Ok(err)
        })();
        if let Ok(err) = built {
            napi_throw(env, err);
        }
    }
}

/// The failure of the last libc call, read from `errno`.
pub fn last_os_error<T>(syscall: &'static str) -> Result<T> {
    Err(Error::Sys { errno: crate::libc::errno(), syscall })
}

/// A byte range inside a JS buffer, valid until JS runs again.
pub struct Bytes {
    pub ptr: *mut u8,
    pub len: usize,
}

/// The arguments of one call.
pub struct Ctx {
    pub env: napi_env,
    pub name: &'static str,
    /// The function's `data` pointer (the environment's element-block table; see elem.rs).
    pub data: *mut c_void,
    argv: [napi_value; 8],
    argc: usize,
}

impl Ctx {
    pub unsafe fn new(env: napi_env, info: napi_callback_info, name: &'static str) -> Result<Ctx> {
        let mut argv = [null_mut(); 8];
        let mut argc = argv.len();
        let mut data = null_mut();
        check(napi_get_cb_info(env, info, &mut argc, argv.as_mut_ptr(), null_mut(), &mut data), "napi_get_cb_info")?;
        Ok(Ctx { env, name, data, argv, argc })
    }

    /// Fails with a TypeError unless at least `n` arguments were passed.
    pub fn expect_args(&self, n: usize) -> Result<()> {
        if self.argc < n {
            return type_err(format!("{}: expected {n} arguments, got {}", self.name, self.argc));
        }
        Ok(())
    }

    pub fn arg(&self, i: usize) -> napi_value {
        self.argv[i]
    }

    pub fn type_of(&self, i: usize) -> Result<napi_valuetype> {
        let mut t = 0;
        // SAFETY: env and the argument handle are valid for the duration of the call.
        check(unsafe { napi_typeof(self.env, self.argv[i], &mut t) }, "napi_typeof")?;
        Ok(t)
    }

    /// A JS number that must be an integer within [min, max] (both exactly representable).
    pub fn int(&self, i: usize, what: &str, min: f64, max: f64) -> Result<i64> {
        let mut d = 0.0;
        // SAFETY: valid handles; for anything but a number Node-API answers napi_number_expected
        // without reading it (one call instead of napi_typeof first: this is on every hot path).
        let status = unsafe { napi_get_value_double(self.env, self.argv[i], &mut d) };
        if status == NAPI_NUMBER_EXPECTED {
            return type_err(format!("{}: {what} must be a number", self.name));
        }
        check(status, "napi_get_value_double")?;
        if !d.is_finite() || d.trunc() != d {
            return range_err(format!("{}: {what} must be an integer, got {d}", self.name));
        }
        if d < min || d > max {
            return range_err(format!("{}: {what} must be >= {min} and <= {max}, got {d}", self.name));
        }
        Ok(d as i64)
    }

    pub fn i32(&self, i: usize, what: &str) -> Result<i32> {
        Ok(self.int(i, what, i32::MIN as f64, i32::MAX as f64)? as i32)
    }

    pub fn u32(&self, i: usize, what: &str) -> Result<u32> {
        Ok(self.int(i, what, 0.0, u32::MAX as f64)? as u32)
    }

    /// A file descriptor: any int; negative ones reach the kernel, which answers EBADF.
    pub fn fd(&self, i: usize) -> Result<i32> {
        self.i32(i, "fd")
    }

    /// The bytes of a TypedArray (any element type), DataView or ArrayBuffer. Views honour their
    /// `byteOffset`; detached buffers are refused so a stale view never reaches the kernel.
    pub fn bytes(&self, i: usize, what: &str) -> Result<Bytes> {
        let env = self.env;
        let v = self.argv[i];
        let mut data: *mut c_void = null_mut();
        let mut len: usize = 0;
        let mut backing: napi_value = null_mut();
        let mut yes = false;
        // SAFETY: every call gets valid env/value handles and out-pointers to locals; Node fills
        // `data` with the address of the view's first byte (byteOffset already applied).
        unsafe {
            check(napi_is_typedarray(env, v, &mut yes), "napi_is_typedarray")?;
            if yes {
                let mut ty = 0;
                let mut count = 0usize;
                let mut offset = 0usize;
                check(
                    napi_get_typedarray_info(env, v, &mut ty, &mut count, &mut data, &mut backing, &mut offset),
                    "napi_get_typedarray_info",
                )?;
                let elem = match ty {
                    0..=2 => 1,
                    3 | 4 => 2,
                    5..=7 => 4,
                    8..=10 => 8,
                    _ => return type_err(format!("{}: {what}: unsupported TypedArray kind {ty}", self.name)),
                };
                len = match count.checked_mul(elem) {
                    Some(n) => n,
                    None => return range_err(format!("{}: {what}: length overflows", self.name)),
                };
            } else {
                check(napi_is_dataview(env, v, &mut yes), "napi_is_dataview")?;
                if yes {
                    let mut offset = 0usize;
                    check(
                        napi_get_dataview_info(env, v, &mut len, &mut data, &mut backing, &mut offset),
                        "napi_get_dataview_info",
                    )?;
                } else {
                    check(napi_is_arraybuffer(env, v, &mut yes), "napi_is_arraybuffer")?;
                    if !yes {
                        return type_err(format!(
                            "{}: {what} must be a TypedArray, DataView, Buffer or ArrayBuffer",
                            self.name
                        ));
                    }
                    backing = v;
                    check(napi_get_arraybuffer_info(env, v, &mut data, &mut len), "napi_get_arraybuffer_info")?;
                }
            }
            // Node-API has no detached check for SharedArrayBuffers (never detached), so a failing
            // status here just means "not an ArrayBuffer", not "detached".
            let mut detached = false;
            if !backing.is_null() && napi_is_detached_arraybuffer(env, backing, &mut detached) == NAPI_OK && detached {
                return type_err(format!("{}: {what} is detached", self.name));
            }
        }
        if data.is_null() && len != 0 {
            return type_err(format!("{}: {what} has no backing store", self.name));
        }
        Ok(Bytes { ptr: data as *mut u8, len })
    }

    /// A JS string as a C string; `null` when `nullable` and the argument is null/undefined.
    pub fn cstring(&self, i: usize, what: &str, nullable: bool) -> Result<Option<CString>> {
        let t = self.type_of(i)?;
        if nullable && (t == NAPI_NULL || t == NAPI_UNDEFINED) {
            return Ok(None);
        }
        if t != NAPI_STRING {
            let expected = if nullable { "a string or null" } else { "a string" };
            return type_err(format!("{}: {what} must be {expected}", self.name));
        }
        let mut len = 0usize;
        // SAFETY: a null buffer asks Node for the UTF-8 length only; then a buffer of len+1 bytes
        // receives the string plus its terminating NUL.
        let bytes = unsafe {
            check(
                napi_get_value_string_utf8(self.env, self.argv[i], null_mut(), 0, &mut len),
                "napi_get_value_string_utf8",
            )?;
            let mut buf = vec![0u8; len + 1];
            let mut written = 0usize;
            check(
                napi_get_value_string_utf8(
                    self.env,
                    self.argv[i],
                    buf.as_mut_ptr() as *mut c_char,
                    len + 1,
                    &mut written,
                ),
                "napi_get_value_string_utf8",
            )?;
            buf.truncate(written);
            buf
        };
        match CString::new(bytes) {
            Ok(s) => Ok(Some(s)),
            Err(_) => type_err(format!("{}: {what} must not contain NUL characters", self.name)),
        }
    }
}
