package io.salientstream.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import io.salientstream.trainer.adapter.AdaptedLinear;
import io.salientstream.trainer.adapter.OwnedArrays;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A BERT encoder (post-LayerNorm, ε = 1e-12, exact-erf GELU, no pooler) over frozen pretrained
 * weights, built from DJL operators, with every one of the six linear layers per transformer layer
 * an {@link AdaptedLinear} block.
 */
public final class BertEncoder {

  /**
   * The six adapted modules per layer, in PEFT/HF naming and in the order used everywhere (masks,
   * reports).
   */
  public static final List<String> MODULES =
      List.of(
          "attention.self.query",
          "attention.self.key",
          "attention.self.value",
          "attention.output.dense",
          "intermediate.dense",
          "output.dense");

  /** Creates the adapted layer for one frozen linear layer. */
  @FunctionalInterface
  public interface AdapterFactory {
    AdaptedLinear create(String module, int layer, NDArray w0, NDArray b0);
  }

  private static final float LN_EPS = 1e-12f;

  private final int layers;
  private final int hidden;
  private final int heads;
  private final NDArray wordEmb;
  private final NDArray posEmb;
  private final NDArray typeRow;
  private final NDArray embLnG;
  private final NDArray embLnB;
  private final List<AdaptedLinear> adapted = new ArrayList<>();
  private final NDArray invSqrtHead;
  private final NDArray[] attnLnG;
  private final NDArray[] attnLnB;
  private final NDArray[] outLnG;
  private final NDArray[] outLnB;

  public BertEncoder(
      NDManager manager, Map<String, OnnxWeights.Tensor> w, int layers, AdapterFactory factory) {
    this.layers = layers;
    this.hidden = EncoderModel.HIDDEN;
    this.heads = EncoderModel.HEADS;
    wordEmb = array(manager, w, "embeddings.word_embeddings.weight");
    posEmb = array(manager, w, "embeddings.position_embeddings.weight");
    typeRow = array(manager, w, "embeddings.token_type_embeddings.weight").get(0);
    embLnG = array(manager, w, "embeddings.LayerNorm.weight");
    embLnB = array(manager, w, "embeddings.LayerNorm.bias");
    invSqrtHead = OwnedArrays.scalar(manager, (float) (1.0 / Math.sqrt(hidden / heads)));
    attnLnG = new NDArray[layers];
    attnLnB = new NDArray[layers];
    outLnG = new NDArray[layers];
    outLnB = new NDArray[layers];
    for (int l = 0; l < layers; l++) {
      String p = "encoder.layer." + l + ".";
      for (String m : MODULES) {
        String module = p + m;
        adapted.add(
            factory.create(
                module,
                l,
                array(manager, w, module + ".weight"),
                array(manager, w, module + ".bias")));
      }
      attnLnG[l] = array(manager, w, p + "attention.output.LayerNorm.weight");
      attnLnB[l] = array(manager, w, p + "attention.output.LayerNorm.bias");
      outLnG[l] = array(manager, w, p + "output.LayerNorm.weight");
      outLnB[l] = array(manager, w, p + "output.LayerNorm.bias");
    }
  }

  private static NDArray array(NDManager m, Map<String, OnnxWeights.Tensor> w, String name) {
    OnnxWeights.Tensor t = w.get(name);
    if (t == null) {
      throw new IllegalArgumentException("pretrained weights lack tensor '" + name + "'");
    }
    return OwnedArrays.create(m, t.data(), new Shape(t.shape()));
  }

  public int layers() {
    return layers;
  }

  /** All adapted linear layers: layer-major, {@link #MODULES} order within a layer. */
  public List<AdaptedLinear> adaptedLayers() {
    return adapted;
  }

  /**
   * Frozen arrays outside the adapted layers (embeddings, LayerNorms), to move along with the
   * per-step manager.
   */
  public List<NDArray> frozenArrays() {
    List<NDArray> out = new ArrayList<>(List.of(wordEmb, posEmb, typeRow, embLnG, embLnB));
    for (int l = 0; l < layers; l++) {
      out.addAll(List.of(attnLnG[l], attnLnB[l], outLnG[l], outLnB[l]));
    }
    return out;
  }

  /**
   * Encodes a batch.
   *
   * @param ids int64 [B, T] token ids
   * @param mask int64 or float [B, T], 1 for real tokens
   * @return last hidden state [B, T, hidden]
   */
  public NDArray forward(ParameterStore ps, NDArray ids, NDArray mask, boolean training) {
    long b = ids.getShape().get(0);
    long t = ids.getShape().get(1);
    NDManager m = ids.getManager();
    NDArray positions = m.arange(0, (int) t, 1, DataType.INT64);
    NDArray x =
        Embedding.embedding(ids, wordEmb, SparseFormat.DENSE)
            .singletonOrThrow()
            .add(Embedding.embedding(positions, posEmb, SparseFormat.DENSE).singletonOrThrow())
            .add(typeRow); // single-segment input: token type 0 everywhere
    x = layerNorm(x, embLnG, embLnB);
    NDArray maskF = mask.toType(DataType.FLOAT32, false);
    NDArray bias = maskF.neg().add(1f).mul(-1e9f).reshape(b, 1, 1, t);
    int hd = hidden / heads;
    for (int l = 0; l < layers; l++) {
      List<AdaptedLinear> mods = adapted.subList(l * 6, l * 6 + 6);
      NDArray q = heads(apply(ps, mods.get(0), x, training), b, t, hd);
      NDArray k = heads(apply(ps, mods.get(1), x, training), b, t, hd);
      NDArray v = heads(apply(ps, mods.get(2), x, training), b, t, hd);
      NDArray probs = q.matMul(k.transpose(0, 1, 3, 2)).mul(invSqrtHead).add(bias).softmax(-1);
      NDArray ctx = probs.matMul(v).transpose(0, 2, 1, 3).reshape(b, t, hidden);
      x = layerNorm(apply(ps, mods.get(3), ctx, training).add(x), attnLnG[l], attnLnB[l]);
      NDArray inter = Activation.gelu(apply(ps, mods.get(4), x, training));
      x = layerNorm(apply(ps, mods.get(5), inter, training).add(x), outLnG[l], outLnB[l]);
    }
    return x;
  }

  /** Mean over real tokens: [B, T, H] × mask [B, T] → [B, H]. */
  public static NDArray meanPool(NDArray hidden, NDArray mask) {
    NDArray m = mask.toType(DataType.FLOAT32, false).expandDims(-1);
    return hidden.mul(m).sum(new int[] {1}).div(m.sum(new int[] {1}));
  }

  private NDArray heads(NDArray x, long b, long t, int hd) {
    return x.reshape(b, t, heads, hd).transpose(0, 2, 1, 3);
  }

  private static NDArray apply(ParameterStore ps, AdaptedLinear lin, NDArray x, boolean training) {
    NDList out = lin.forward(ps, new NDList(x), training);
    return out.singletonOrThrow();
  }

  private NDArray layerNorm(NDArray x, NDArray g, NDArray b) {
    return LayerNorm.layerNorm(x, new Shape(hidden), g, b, LN_EPS).singletonOrThrow();
  }
}
