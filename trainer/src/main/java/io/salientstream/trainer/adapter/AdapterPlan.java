package io.salientstream.trainer.adapter;

import ai.djl.ndarray.NDArray;
import java.util.Map;
import java.util.Random;

/**
 * How to adapt each linear layer of a model: the adapter kind, the rank per module (from the
 * policy's layout; PRILoRA ranks differ per layer), α, and the seed of the initialisation. Adapters
 * are created in model order from one seeded generator, so the same plan always gives the same
 * initial weights.
 */
public final class AdapterPlan {

  private final AdapterKind kind;
  private final Map<String, Integer> ranks;
  private final int defaultRank;
  private final float alpha;
  private final Random rng;

  public AdapterPlan(
      AdapterKind kind, Map<String, Integer> ranks, int defaultRank, float alpha, long seed) {
    this.kind = kind;
    this.ranks = ranks;
    this.defaultRank = defaultRank;
    this.alpha = alpha;
    this.rng = new Random(seed);
  }

  public AdapterKind kind() {
    return kind;
  }

  public float alpha() {
    return alpha;
  }

  public int rankOf(String module) {
    return ranks == null ? defaultRank : ranks.getOrDefault(module, defaultRank);
  }

  public AdaptedLinear create(String module, int layer, NDArray w0, NDArray b0) {
    return switch (kind) {
      case SVD -> new SvdAdapterLinear(module, layer, w0, b0, rankOf(module), alpha, rng);
      case LORA -> new LoraLinear(module, layer, w0, b0, rankOf(module), alpha, rng);
      case NONE -> new FrozenLinear(module, layer, w0, b0);
    };
  }
}
