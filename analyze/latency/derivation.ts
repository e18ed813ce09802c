// How the trace fit's derivation lines print a duration: one formatter, so every line of the derivation reads alike.

/** ns as microseconds with two decimals and the unit ("1.43 µs"). */
export const us = (ns: number): string => `${(ns / 1000).toFixed(2)} µs`;
