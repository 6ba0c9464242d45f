package io.salientstream.core.salient;

import java.util.Locale;

/**
 * Which semantics the SalientLoRA salience and schedule follow (spec {@code algorithms.md} §2.3,
 * §2.7, §5). See {@code core/README.md} for the full table of differences.
 */
public enum SalienceMode {
  /**
   * Reproduces the reference implementation (Heyest/SalientLoRA b12ce0c) and the golden vectors
   * (core/src/test/resources/golden): schedule denominator S_tot − F, no forced final window, plain
   * sum of the two salience terms, NaN for 0/0 (NaN scores sort as the largest and are never kept),
   * keep iff score &gt; threshold (ties pruned).
   */
  REFERENCE,
  /**
   * The fixed version: allocation-length denominator, a forced final window at S_tot − F with
   * budget exactly bT, λ-weighted combination, every degenerate case guarded (no NaN/Inf), exactly
   * {@code budget} kept (ties broken by lower global index).
   */
  CLEAN;

  public static SalienceMode parse(String s) {
    return switch (s.trim().toLowerCase(Locale.ROOT)) {
      case "reference" -> REFERENCE;
      case "clean" -> CLEAN;
      default ->
          throw new IllegalArgumentException("mode must be reference or clean, got '" + s + "'");
    };
  }

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
