/** The Euler–Mascheroni constant. */
export const EULER_GAMMA = 0.5772156649015329;

/** The harmonic number H(i), approximated as ln(i) + γ, as in Liu, Ting and Zhou (2008), §2. */
export function harmonic(i: number): number {
  return Math.log(i) + EULER_GAMMA;
}

/**
 * c(n): the average path length of an unsuccessful search in a binary search tree of n points,
 * which estimates the average depth an isolation tree would reach on n points. It normalises
 * scores (with n = ψ) and stands in for the subtree a leaf of n > 1 training points did not grow
 * because of the height limit. Liu, Ting and Zhou (2008), equation (1):
 * c(n) = 2H(n − 1) − 2(n − 1)/n for n > 2, c(2) = 1, and 0 for n ≤ 1.
 */
export function averagePathLength(n: number): number {
  if (n > 2) return 2 * harmonic(n - 1) - (2 * (n - 1)) / n;
  return n === 2 ? 1 : 0;
}

/** The height limit of a tree grown on ψ points: ceil(log2 ψ), the average tree height. */
export function heightLimit(subsampleSize: number): number {
  return subsampleSize <= 1 ? 0 : Math.ceil(Math.log2(subsampleSize));
}
