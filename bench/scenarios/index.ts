/** The scenarios of issue 7, in its order. */
import type { Scenario } from '../runner/scenario.js';
import { btfParse } from './btf-parse.js';
import { cliStartup } from './cli-startup.js';
import { mapOps } from './map-ops.js';
import { objectLoad } from './object-load.js';
import { perfBuffer } from './perf-buffer.js';
import { ringBuffer } from './ring-buffer.js';

export const SCENARIOS: readonly Scenario[] = [btfParse, ringBuffer, mapOps, objectLoad, cliStartup, perfBuffer];
