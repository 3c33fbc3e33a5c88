/**
 * Histograms as bcc prints them: log2 (`print_log2_hist`), linear (`print_linear_hist`) and
 * per-key sections, as pure formatters over counts, and readers that turn histogram maps into
 * counts. Imports src/maps (readers) and src/errors only.
 */
export { formatLog2Histogram, formatLinearHistogram, formatSectionHistograms, formatSectionKey, type HistogramFormatOptions, type HistogramSection, type SectionFormatOptions } from './format.js';
export { readHistogram, readSectionHistograms, type SectionReadOptions } from './read-map.js';
export { log2Slot, log2Counts, log2SlotRange } from './slots.js';
export { starBar } from './stars.js';
export { HistogramError } from './errors.js';
export type { HistogramCount } from './counts.js';
