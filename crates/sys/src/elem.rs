//! `mapElemBlock`/`mapElem`: the element commands of one map (lookup, update, delete,
//! get-next-key, lookup-and-delete) at the lowest cost a Node-API call allows.
//!
//! `bpf(cmd, attr)` has to find the attr bytes of a JS view on every call (is it a typed array,
//! its info, its buffer, is that detached), then its result is boxed: for a map lookup that was
//! about as much work as the system call itself. Here a map gets one block of memory that this
//! addon allocates and owns, seen from JS as an external ArrayBuffer:
//!
//! ```text
//! 0   u32 cmd        (written by JS before each call)
//! 4   u32 pointers   bit 0: key = the key slot (else NULL);
//!                    bits 2-3: value = 0 NULL, 1 the value slot, 2 the next-key slot
//! 8   u32 flags      (the attr's u64 `flags`; every flag the kernel has fits in 32 bits)
//! 12  i32 result     (written by the addon: the syscall's result or -errno)
//! 16  key slot       key_cap bytes  (key_size rounded up to 8, at least 8)
//! ..  next-key slot  key_cap bytes
//! ..  value slot     value_cap bytes
//! ```
//!
//! `mapElemBlock` returns the buffer and the block's own `run` function (`mapElem`), whose
//! Node-API `data` names the block: a call takes no argument, reads the header, builds the
//! 32-byte `bpf_attr` on the stack with `map_fd` fixed at creation and pointers into the block
//! (never addresses from JS), makes the call and stores its result or `-errno` in the header:
//! returning nothing spares creating a JS value. Neither reading an argument nor checking a
//! number is left on the path (an earlier `mapElem(id)` spent ~80 of its ~350 instructions on
//! that): every Node-API call here is a visible share of the cost.
//!
//! Lifetime and safety: the memory is freed only by the ArrayBuffer's finalizer, which Node runs
//! on the JS thread once the buffer is gone (collected, or detached and its backing store
//! dropped), never during a call. That finalizer also retires the block's table entry (its
//! generation), and `run` looks its block up by index and generation on every call, so a `run`
//! that outlived its buffer throws instead of touching freed memory. No argument is read, so
//! no JS value can name another block. What JS can still get
//! wrong is the same as with `bpf()`: the map behind the fd must be the one the slot sizes were
//! made for (its fd closed and the number reused by a map with larger keys or values would let
//! the kernel write past the slots). The TypeScript owner checks its fd is open before each call.

use std::alloc::{alloc_zeroed, dealloc, Layout};
use std::cell::RefCell;
use std::rc::Rc;
use std::os::raw::{c_char, c_long, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::null_mut;

use crate::js::{self, Ctx, Error, Result};
use crate::libc;
use crate::napi::*;

const HEADER: usize = 16;
/// Largest key or value slot: far above what the kernel accepts for any map type.
const MAX_SLOT: f64 = (1u64 << 30) as f64;
/// Most live blocks per environment. A freed table entry comes back with a new generation, so a
/// `run` function that outlived its block is refused rather than aimed at another map's block.
const SLOTS: u64 = 1 << 22;
const MAX_GENERATION: u32 = (1 << 30) - 1;

/// `enum bpf_cmd` values this entry runs: none of them writes back into `bpf_attr`, so a
/// 32-byte attr on the stack is all the kernel touches besides the block's slots.
const MAP_LOOKUP_ELEM: u32 = 1;
const MAP_UPDATE_ELEM: u32 = 2;
const MAP_DELETE_ELEM: u32 = 3;
const MAP_GET_NEXT_KEY: u32 = 4;
const MAP_LOOKUP_AND_DELETE_ELEM: u32 = 21;

#[derive(Clone, Copy)]
struct Block {
    /// Null when the table entry is free.
    ptr: *mut u8,
    fd: i32,
    key_size: usize,
    value_size: usize,
    key_cap: usize,
    generation: u32,
}

struct Blocks {
    blocks: Vec<Block>,
    free: Vec<u32>,
}

/// The blocks of one environment (the main thread's, or a worker's), reached through the
/// `data` pointer of the two exported functions: no thread-local lookup on the hot path.
/// Shared (`Rc`) by the environment (until its cleanup hook) and by every block's finalizer,
/// whichever of them runs last frees it.
type Table = RefCell<Blocks>;

/// A new table for an environment, as the raw `Rc` the functions get as their `data`.
pub fn table_new() -> *mut c_void {
    Rc::into_raw(Rc::new(RefCell::new(Blocks { blocks: Vec::new(), free: Vec::new() }))) as *mut c_void
}

/// Environment cleanup hook: drops the environment's share of its table.
pub unsafe extern "C" fn table_release(data: *mut c_void) {
    drop(Rc::from_raw(data as *const Table));
}

/// The table behind a function's `data` pointer.
///
/// # Safety
/// `data` must come from [`table_new`] and the environment must still be alive (it is, while
/// one of its functions runs).
unsafe fn table<'a>(data: *mut c_void) -> &'a Table {
    &*(data as *const Table)
}

/// What the ArrayBuffer's finalizer needs to free the block and retire its id.
struct Owner {
    table: Rc<Table>,
    index: u32,
    generation: u32,
    layout: Layout,
}

fn round8(n: usize) -> usize {
    (n.max(1) + 7) & !7
}

pub fn map_elem_block(cx: &Ctx) -> Result<napi_value> {
    cx.expect_args(3)?;
    let env = cx.env;
    let fd = cx.fd(0)?;
    let key_size = cx.int(1, "keySize", 0.0, MAX_SLOT)? as usize;
    let value_size = cx.int(2, "valueSize", 0.0, MAX_SLOT)? as usize;
    let key_cap = round8(key_size);
    let len = HEADER + 2 * key_cap + round8(value_size);
    let layout = Layout::from_size_align(len, 8).map_err(|_| Error::Range(format!("{}: block too large", cx.name)))?;
    // SAFETY: the layout has a non-zero size.
    let ptr = unsafe { alloc_zeroed(layout) };
    if ptr.is_null() {
        return Err(Error::Sys { errno: libc::ENOMEM, syscall: "malloc" });
    }
    // SAFETY: Ctx::data is this function's data, set from table_new at registration.
    let tab = unsafe { table(cx.data) };
    let (index, generation) = {
        let mut t = tab.borrow_mut();
        match t.free.pop() {
            Some(i) => {
                let b = &mut t.blocks[i as usize];
                let generation = if b.generation >= MAX_GENERATION { 0 } else { b.generation + 1 };
                *b = Block { ptr, fd, key_size, value_size, key_cap, generation };
                Some((i, generation))
            }
            None if (t.blocks.len() as u64) < SLOTS => {
                t.blocks.push(Block { ptr, fd, key_size, value_size, key_cap, generation: 0 });
                Some(((t.blocks.len() - 1) as u32, 0))
            }
            None => None,
        }
    }
    .ok_or_else(|| {
        // SAFETY: allocated above with this layout and not shared.
        unsafe { dealloc(ptr, layout) };
        Error::Sys { errno: libc::ENOMEM, syscall: "mapElemBlock" }
    })?;
    // SAFETY: as above; the finalizer's own share keeps the table alive past the environment.
    let shared = unsafe {
        Rc::increment_strong_count(cx.data as *const Table);
        Rc::from_raw(cx.data as *const Table)
    };
    let owner = Box::into_raw(Box::new(Owner { table: shared, index, generation, layout }));
    let mut ab = null_mut();
    // SAFETY: `ptr` is `len` zeroed bytes that only `finalize` frees.
    let status = unsafe { napi_create_external_arraybuffer(env, ptr as *mut c_void, len, Some(finalize), owner as *mut c_void, &mut ab) };
    if status != NAPI_OK {
        // SAFETY: no ArrayBuffer owns the memory or the owner record: we still do.
        unsafe { retire(Box::from_raw(owner), ptr) };
        return Err(Error::Napi("napi_create_external_arraybuffer"));
    }
    // The block's `run` function: its data names the block (table, index, generation), so a
    // call reads no argument. Freed by the function's finalizer; the buffer's memory may be gone
    // before that, which the generation check catches.
    // SAFETY: as above (a second share of the table, for the function's lifetime).
    let handle = Box::into_raw(Box::new(Handle {
        table: unsafe {
            Rc::increment_strong_count(cx.data as *const Table);
            Rc::from_raw(cx.data as *const Table)
        },
        index,
        generation,
    }));
    let mut run = null_mut();
    let mut obj = null_mut();
    // SAFETY: valid env and handles; `handle` is owned by the function once the finalizer is
    // attached, and dropped here otherwise.
    unsafe {
        if napi_create_function(env, RUN_NAME.as_ptr() as *const c_char, RUN_NAME.len() - 1, run_entry, handle as *mut c_void, &mut run) != NAPI_OK {
            drop(Box::from_raw(handle));
            return Err(Error::Napi("napi_create_function"));
        }
        if napi_add_finalizer(env, run, handle as *mut c_void, handle_finalize, null_mut(), null_mut()) != NAPI_OK {
            drop(Box::from_raw(handle));
            return Err(Error::Napi("napi_add_finalizer"));
        }
        js::check(napi_create_object(env, &mut obj), "napi_create_object")?;
        js::set(env, obj, b"run\0", run)?;
        js::set(env, obj, b"buffer\0", ab)?;
    }
    Ok(obj)
}

/// What a block's `run` function knows of its block: where to look it up, and which
/// generation of that table entry it was made for.
struct Handle {
    table: Rc<Table>,
    index: u32,
    generation: u32,
}

const RUN_NAME: &str = "mapElem\0";

/// Runs on the JS thread when a block's `run` function is collected or its environment is torn down.
unsafe extern "C" fn handle_finalize(_env: napi_env, data: *mut c_void, _hint: *mut c_void) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: `data` came from Box::into_raw in map_elem_block; Node calls this once.
        drop(Box::from_raw(data as *mut Handle));
    }));
}

/// Frees a block's memory and retires its id (when the table still has it).
unsafe fn retire(owner: Box<Owner>, ptr: *mut u8) {
    {
        let mut t = owner.table.borrow_mut();
        let i = owner.index as usize;
        if i < t.blocks.len() && t.blocks[i].generation == owner.generation && !t.blocks[i].ptr.is_null() {
            t.blocks[i].ptr = null_mut();
            t.free.push(owner.index);
        }
    }
    dealloc(ptr, owner.layout);
}

/// Runs on the JS thread when the ArrayBuffer is collected, detached or its environment is torn down.
unsafe extern "C" fn finalize(_env: napi_env, data: *mut c_void, hint: *mut c_void) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: `hint` came from Box::into_raw in map_elem_block; Node calls this once.
        retire(Box::from_raw(hint as *mut Owner), data as *mut u8);
    }));
}

/// A block's `run` function (`mapElem`): as `dispatch` does, catches panics and throws errors.
///
/// # Safety
/// Called by Node-API with a valid environment and callback info.
unsafe extern "C" fn run_entry(env: napi_env, info: napi_callback_info) -> napi_value {
    let outcome = catch_unwind(AssertUnwindSafe(|| map_elem(env, info)));
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(e)) => e.throw(env),
        Err(_) => Error::Napi("internal panic in bpf-ts-sys").throw(env),
    }
    // NULL: the call's value is `undefined`.
    null_mut()
}

const NAME: &str = "mapElem";

unsafe fn map_elem(env: napi_env, info: napi_callback_info) -> Result<()> {
    // Only the function's data: arguments, if any, are ignored (none are copied).
    let mut data = null_mut();
    js::check(napi_get_cb_info(env, info, null_mut(), null_mut(), null_mut(), &mut data), "napi_get_cb_info")?;
    // SAFETY: `data` is this function's Handle, alive until the function's finalizer.
    let h = &*(data as *const Handle);
    let block = match h.table.borrow().blocks.get(h.index as usize) {
        Some(b) if !b.ptr.is_null() && b.generation == h.generation => Some(*b),
        _ => None,
    };
    let Some(b) = block else {
        return js::range_err(format!("{NAME}: the block's memory was freed (its buffer was collected or detached)"));
    };
    // SAFETY: the block is live (in the table), at least HEADER bytes, 8-byte aligned; no JS runs
    // between here and the end of the system call, and the memory is freed only from JS turns.
    let cmd = *(b.ptr as *const u32);
    let pointers = *(b.ptr.add(4) as *const u32);
    let flags = *(b.ptr.add(8) as *const u32) as u64;
    if !matches!(cmd, MAP_LOOKUP_ELEM | MAP_UPDATE_ELEM | MAP_DELETE_ELEM | MAP_GET_NEXT_KEY | MAP_LOOKUP_AND_DELETE_ELEM) {
        return js::range_err(format!("{NAME}: command {cmd} is not an element command"));
    }
    // A zero-sized key or value is a NULL pointer, as the kernel wants (a non-NULL key of a
    // keyless map is EINVAL).
    let key_slot = b.ptr.add(HEADER);
    let value = match (pointers >> 2) & 3 {
        0 => null_mut(),
        1 if b.value_size > 0 => key_slot.add(2 * b.key_cap),
        2 if b.key_size > 0 => key_slot.add(b.key_cap),
        1 | 2 => null_mut(),
        _ => return js::range_err(format!("{NAME}: bad pointer selection 0x{pointers:x}")),
    };
    let key = if pointers & 1 != 0 && b.key_size > 0 { key_slot } else { null_mut() };
    // union bpf_attr, element commands: map_fd (u32, padded), key, value/next_key, flags.
    let attr: [u64; 4] = [b.fd as u32 as u64, key as u64, value as u64, flags];
    let r = libc::syscall(libc::SYS_BPF, cmd as c_long, attr.as_ptr(), 32 as c_long);
    *(b.ptr.add(12) as *mut i32) = if r < 0 { -libc::errno() } else { r as i32 };
    Ok(())
}
