package io.salientstream.core.salient;

/**
 * Parameters of the window-end salience measurement (spec §2.4).
 *
 * @param mode reference or clean semantics
 * @param beta correlation threshold β: an edge needs ρ_ij ≥ β (reference hard-codes 0.9)
 * @param gamma slope threshold γ: an edge needs k_ij ≥ γ (reference hard-codes 2)
 * @param lambda clean mode only: weight of the <em>influence-domain</em> term; the magnitude term
 *     gets 1 − λ, i.e. {@code score = λ·infl + (1−λ)·mag}. Ignored in reference mode (plain sum,
 *     rank-equivalent to λ = 0.5). Which term the paper's λ multiplies could not be verified (spec
 *     §2.4 step 7).
 */
public record SalienceParams(SalienceMode mode, double beta, double gamma, double lambda) {
  public static final double DEFAULT_BETA = 0.9;
  public static final double DEFAULT_GAMMA = 2.0;
  public static final double DEFAULT_LAMBDA = 0.7;

  public SalienceParams {
    if (mode == null) throw new IllegalArgumentException("salience: mode is required");
    if (!(beta >= -1 && beta <= 1))
      throw new IllegalArgumentException(
          "salience: beta (a correlation threshold) must be in [-1, 1], got " + beta);
    // spec §2.4: with γ > 0 no score is negative and pruned series stay at 0; γ <= 0 turns every
    // correlated pair into an edge, whatever its slope
    if (!(gamma > 0) || !Double.isFinite(gamma))
      throw new IllegalArgumentException(
          "salience: gamma (a slope threshold) must be a finite number > 0, got " + gamma);
    if (!(lambda >= 0 && lambda <= 1))
      throw new IllegalArgumentException("salience: lambda must be in [0,1], got " + lambda);
  }

  public static SalienceParams reference() {
    return new SalienceParams(SalienceMode.REFERENCE, DEFAULT_BETA, DEFAULT_GAMMA, 0.5);
  }

  public static SalienceParams clean() {
    return new SalienceParams(SalienceMode.CLEAN, DEFAULT_BETA, DEFAULT_GAMMA, DEFAULT_LAMBDA);
  }
}
