package io.salientstream.core.prilora;

/**
 * The per-input-feature statistic PRILoRA weighs |A_ij| with (spec §4 item 2, [U]): an exponential
 * moving average over steps of the ℓ2 norm of input feature j over all tokens of the batch entering
 * the layer, {@code x̄_j ← β·x̄_j + (1−β)·‖X[:, j]‖₂}, starting at 0. Hosts call {@link #update}
 * from a forward hook and pass {@link #values()} in {@code StepInput.PriLoraMatrixInput}. Tokens
 * are summed in row order in double.
 */
public final class InputNormEma {
  private final double beta;
  private final double[] ema;

  /**
   * @param beta smoothing factor in [0, 1) (an [U] choice; 0.9 is a reasonable default)
   */
  public InputNormEma(int dIn, double beta) {
    if (dIn < 1) throw new IllegalArgumentException("input norm EMA: dIn must be >= 1");
    if (!(beta >= 0 && beta < 1))
      throw new IllegalArgumentException("input norm EMA: beta must be in [0,1), got " + beta);
    this.beta = beta;
    this.ema = new double[dIn];
  }

  /** Updates from a batch of {@code tokens} input rows, row-major tokens × dIn. */
  public void update(double[] inputs, int tokens) {
    int d = ema.length;
    if (inputs.length != (long) tokens * d) {
      throw new IllegalArgumentException(
          "input norm EMA: inputs has " + inputs.length + " values, expected " + tokens + "x" + d);
    }
    double[] sq = new double[d];
    for (int t = 0; t < tokens; t++)
      for (int j = 0; j < d; j++) sq[j] += inputs[t * d + j] * inputs[t * d + j];
    for (int j = 0; j < d; j++) {
      double norm = Math.sqrt(sq[j]);
      if (!Double.isFinite(norm))
        throw new IllegalArgumentException(
            "input norm EMA: feature " + j + " has a non-finite norm");
      ema[j] = beta * ema[j] + (1 - beta) * norm;
    }
  }

  public double[] values() {
    return ema.clone();
  }
}
