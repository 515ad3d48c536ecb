/** Number formatting shared by the report's parts. */

/** `x` with `d` decimals and thousands separators; `n/a` when it is missing or not finite. */
export const f = (x: number | undefined, d = 0): string =>
  x === undefined || !Number.isFinite(x)
    ? 'n/a'
    : x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });

/** A ratio as `1.23×`; `n/a` when not finite. */
export const ratio = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(2)}×` : 'n/a');
