/**
 * Feature probes against an offload-capable network device (bpftool's `feature probe dev NAME`):
 * programs and maps created with `prog_ifindex`/`map_ifindex`. Only the types a device can
 * offload are asked about: `sched_cls` and `xdp` programs, `hash` and `array` maps.
 */
import { readFileSync } from 'node:fs';
import { native } from './native.js';
import { tryProgLoad, type ProgLoadAttempt } from './prog-load.js';
import { tryMapCreate } from './map-create.js';
import { MapType, ProgType } from './uapi.js';
import { FeatureProbeError, MISC_FEATURE_PROGRAMS, type MiscFeature } from './feature-probe.js';
import { callHelper } from './feature-probe-insns.js';

/** Program types bpftool probes on a device. */
export const DEVICE_PROG_TYPES: readonly number[] = [ProgType.SCHED_CLS, ProgType.XDP];
/** Map types bpftool probes on a device. */
export const DEVICE_MAP_TYPES: readonly number[] = [MapType.HASH, MapType.ARRAY];

/** `r0 = 2; exit`: the nfp driver refuses `exit(0)` for TC offload, so device probes return 2. */
const RETURN_TWO = new Uint8Array([0xb7, 0, 0, 0, 2, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);

const memo = new Map<string, boolean>();
function memoized(key: string, probe: () => boolean): boolean {
  const known = memo.get(key);
  if (known !== undefined) return known;
  const result = probe();
  memo.set(key, result);
  return result;
}

function load(progType: number, insns: Uint8Array, ifindex: number, logBuffer?: Uint8Array): ProgLoadAttempt {
  const r = tryProgLoad({ progType, insns, license: 'GPL', ifindex, ...(logBuffer === undefined ? {} : { logBuffer }) });
  if (r.ok) native().close(r.fd);
  return r;
}

function checkProgType(progType: number): void {
  if (!DEVICE_PROG_TYPES.includes(progType)) {
    throw new FeatureProbeError(`program type ${progType} on a device`, `cannot probe program type ${progType} on a device: only sched_cls and xdp offload`);
  }
}

/**
 * PCI vendor id of the device behind `ifindex` (`/sys/class/net/<name>/device/vendor`), or -1.
 * Netronome (0x19ee) firmware has its own words for unsupported helpers.
 */
function vendorId(ifname: string): number {
  try {
    const text = readFileSync(`/sys/class/net/${ifname}/device/vendor`, 'utf8');
    const v = Number.parseInt(text.trim(), text.trim().startsWith('0x') ? 16 : 10);
    return Number.isNaN(v) ? -1 : v;
  } catch {
    return -1;
  }
}

const NETRONOME = 0x19ee;

/** Whether `sched_cls` or `xdp` programs can be offloaded to the device. */
export function probeDeviceProgType(progType: number, ifindex: number): boolean {
  checkProgType(progType);
  return memoized(`prog:${ifindex}:${progType}`, () => load(progType, RETURN_TWO, ifindex).ok);
}

/** Whether `hash` or `array` maps can be offloaded to the device. */
export function probeDeviceMapType(mapType: number, ifindex: number): boolean {
  if (!DEVICE_MAP_TYPES.includes(mapType)) {
    throw new FeatureProbeError(`map type ${mapType} on a device`, `cannot probe map type ${mapType} on a device: only hash and array offload`);
  }
  return memoized(`map:${ifindex}:${mapType}`, () => {
    const r = tryMapCreate({ type: mapType, keySize: 4, valueSize: 4, maxEntries: 1, ifindex });
    if (r.ok) native().close(r.fd);
    return r.ok;
  });
}

let logBuffer: Uint8Array | undefined;

/**
 * Whether an offloaded program of `progType` may call `helperId`. Judged by the verifier log
 * only, like bpftool's `probe_helper_ifindex()`: a device that refuses the program for another
 * reason still counts the helper as available.
 */
export function probeDeviceHelper(progType: number, helperId: number, ifindex: number, ifname: string): boolean {
  checkProgType(progType);
  return memoized(`helper:${ifindex}:${progType}:${helperId}`, () => {
    logBuffer ??= new Uint8Array(4096);
    const r = load(progType, callHelper(helperId), ifindex, logBuffer);
    if (/invalid func |unknown func |program of this type cannot use helper /.test(r.log)) return false;
    if (vendorId(ifname) === NETRONOME && /not supported by FW|unsupported function id/.test(r.log)) return false;
    return true;
  });
}

/** Whether the device accepts a socket filter using the feature. */
export function probeDeviceMiscFeature(feature: MiscFeature, ifindex: number): boolean {
  return memoized(`misc:${ifindex}:${feature}`, () => load(ProgType.SOCKET_FILTER, MISC_FEATURE_PROGRAMS[feature](), ifindex).ok);
}
