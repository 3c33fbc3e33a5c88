/** The fixed default seed of `npm run fuzz` and the short run in `npm test`: the same cases everywhere. */
export const DEFAULT_SEED = 0x0b7f_5eed;
