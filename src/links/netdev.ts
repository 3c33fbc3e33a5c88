import { native } from '../sys/native.js';
import { LinkError } from './errors.js';

/** A network device by index or name. */
export type NetDevice = { readonly ifindex: number } | { readonly interface: string };

/**
 * Resolves a {@link NetDevice} to its ifindex (`if_nametoindex`) in this process's netns.
 *
 * @example
 * ```ts
 * deviceIndex({ interface: 'lo' }, 'my_prog'); // 1
 * ```
 */
export function deviceIndex(device: NetDevice, program: string): number {
  if ('ifindex' in device) return device.ifindex;
  try {
    return native().ifNameToIndex(device.interface);
  } catch (e) {
    throw new LinkError(`no network device '${device.interface}' in this network namespace`, { program, target: `interface ${device.interface}` }, { cause: e });
  }
}

/**
 * `'veth0 (ifindex 3)'` or `'ifindex 3'`, for messages.
 *
 * @internal Shared by the attach functions of this folder.
 */
export function deviceLabel(device: NetDevice, ifindex: number): string {
  return 'interface' in device ? `${device.interface} (ifindex ${ifindex})` : `ifindex ${ifindex}`;
}
