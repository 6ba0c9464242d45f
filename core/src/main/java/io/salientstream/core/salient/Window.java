package io.salientstream.core.salient;

/**
 * One completed time-series window (spec §2.4 inputs), stored <em>time-major</em>: {@code
 * values[t*n + i]} is series i (global index) at the t-th recorded step of the window, t = 0
 * oldest. This is the order a trainer records in, and it makes every per-series pass a contiguous,
 * vectorisable loop over i.
 *
 * @param values at least {@code length*n} doubles (extra capacity after that is ignored)
 * @param length T, the number of recorded steps
 * @param n N, the number of series
 * @param orthRegLoss the T regulariser values R_t, aligned with the rows
 * @param offsets matrix boundaries: matrix k owns global indices {@code [offsets[k],
 *     offsets[k+1])}; {@code offsets[0] = 0}, last entry N
 */
public record Window(double[] values, int length, int n, double[] orthRegLoss, int[] offsets) {
  public Window {
    if (n <= 0) throw new IllegalArgumentException("window: N must be > 0, got " + n);
    if (length <= 0)
      throw new IllegalArgumentException("window: length must be > 0, got " + length);
    if (values.length < (long) length * n) {
      throw new IllegalArgumentException(
          "window: values has " + values.length + " entries, need " + (long) length * n);
    }
    if (orthRegLoss.length != length) {
      throw new IllegalArgumentException(
          "window: orthRegLoss has " + orthRegLoss.length + " entries, window length is " + length);
    }
    if (offsets.length < 2 || offsets[0] != 0 || offsets[offsets.length - 1] != n) {
      throw new IllegalArgumentException("window: offsets must start at 0 and end at N=" + n);
    }
    for (int k = 1; k < offsets.length; k++) {
      if (offsets[k] <= offsets[k - 1])
        throw new IllegalArgumentException(
            "window: offsets must increase (matrix " + (k - 1) + ")");
    }
  }

  /** Offsets for M matrices of r0 triplets each. */
  public static int[] uniformOffsets(int matrices, int rank) {
    int[] off = new int[matrices + 1];
    for (int k = 0; k <= matrices; k++) off[k] = k * rank;
    return off;
  }
}
