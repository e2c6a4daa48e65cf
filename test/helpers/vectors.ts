export { seededRandom } from '../fixtures/ollama/text.ts';

/** A standard normal draw (Box–Muller) from a uniform generator. */
export function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/** Scales a vector to unit length, in place, and returns it. */
export function normalise(v: Float32Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  const inv = 1 / Math.sqrt(s);
  for (let i = 0; i < v.length; i++) v[i]! *= inv;
  return v;
}
