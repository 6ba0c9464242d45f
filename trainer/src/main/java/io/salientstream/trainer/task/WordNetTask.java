package io.salientstream.trainer.task;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.salientstream.trainer.adapter.AdaptedLinear;
import io.salientstream.trainer.adapter.AdapterPlan;
import io.salientstream.trainer.adapter.OwnedArrays;
import io.salientstream.trainer.data.WordNetSupersenses;
import io.salientstream.trainer.model.BatchTokenizer;
import io.salientstream.trainer.model.BertEncoder;
import io.salientstream.trainer.model.EncoderModel;
import io.salientstream.trainer.model.OnnxWeights;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * WordNet supersense classification: gloss → one of 45 lexicographer files, with a pretrained
 * encoder (adapted by the policy's adapters, or frozen for the linear probe), mean pooling over
 * real tokens, and a trainable linear head.
 */
public final class WordNetTask implements Task {

  private final WordNetSupersenses.Splits data;
  private final BertEncoder encoder;
  private final BatchTokenizer tokenizer;
  private final NDArray headW;
  private final NDArray headB;
  private final int classes;
  private final int evalLimit;
  private final int testLimit;
  private final String name;
  private int[] lastTestGold = new int[0];
  private int[] lastTestPredictions = new int[0];

  /**
   * @param evalLimit validation examples used by periodic evaluation (first N of the split)
   * @param testLimit test examples used by the final evaluation (first N of the split; ≤ 0: all)
   */
  public WordNetTask(
      NDManager home,
      EncoderModel model,
      AdapterPlan plan,
      WordNetSupersenses.Splits data,
      int seq,
      boolean padToMax,
      int evalLimit,
      int testLimit,
      long seed)
      throws IOException {
    this(home, "wordnet", model, plan, data, seq, padToMax, evalLimit, testLimit, seed);
  }

  /**
   * A text-classification task of another data set with the same model and head (e.g. {@code
   * sentiment}): {@code name} is what the reports call it.
   */
  public WordNetTask(
      NDManager home,
      String name,
      EncoderModel model,
      AdapterPlan plan,
      WordNetSupersenses.Splits data,
      int seq,
      boolean padToMax,
      int evalLimit,
      int testLimit,
      long seed)
      throws IOException {
    this.name = name;
    this.data = data;
    this.classes = data.classes().size();
    this.evalLimit = evalLimit;
    this.testLimit = testLimit;
    this.tokenizer = new BatchTokenizer(model, seq, padToMax);
    this.encoder =
        new BertEncoder(
            home, OnnxWeights.readResource(model.onnxResource()), model.layers(), plan::create);
    Random rng = new Random(seed ^ 0x4EADL);
    float[] w = new float[classes * EncoderModel.HIDDEN];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) (rng.nextGaussian() * 0.02);
    }
    headW = OwnedArrays.create(home, w, new Shape(classes, EncoderModel.HIDDEN));
    headB = home.zeros(new Shape(classes));
    headW.setRequiresGradient(true);
    headB.setRequiresGradient(true);
  }

  public BertEncoder encoder() {
    return encoder;
  }

  @Override
  public String name() {
    return name;
  }

  /** Gold labels of the last test evaluation, in split order (empty before one). */
  public int[] lastTestGold() {
    return lastTestGold.clone();
  }

  /** Predicted labels of the last test evaluation, aligned with {@link #lastTestGold()}. */
  public int[] lastTestPredictions() {
    return lastTestPredictions.clone();
  }

  @Override
  public List<AdaptedLinear> adaptedLayers() {
    return encoder.adaptedLayers();
  }

  @Override
  public List<NDArray> headParameters() {
    return List.of(headW, headB);
  }

  @Override
  public List<NDArray> frozenArrays() {
    return encoder.frozenArrays();
  }

  @Override
  public int trainSize() {
    return data.train().size();
  }

  private NDArray logits(
      ParameterStore ps, NDManager step, List<WordNetSupersenses.Example> batch, boolean training) {
    List<String> texts = new ArrayList<>(batch.size());
    for (WordNetSupersenses.Example e : batch) {
      texts.add(e.text());
    }
    BatchTokenizer.Batch b = tokenizer.encode(texts);
    NDArray ids = step.create(b.ids(), new Shape(b.size(), b.length()));
    NDArray mask = step.create(b.mask(), new Shape(b.size(), b.length()));
    NDArray pooled = BertEncoder.meanPool(encoder.forward(ps, ids, mask, training), mask);
    return pooled.matMul(headW.transpose()).add(headB);
  }

  @Override
  public NDArray loss(ParameterStore ps, NDManager step, int[] examples) {
    List<WordNetSupersenses.Example> batch = new ArrayList<>(examples.length);
    float[] onehot = new float[examples.length * classes];
    for (int i = 0; i < examples.length; i++) {
      WordNetSupersenses.Example e = data.train().get(examples[i]);
      batch.add(e);
      onehot[i * classes + e.label()] = 1f;
    }
    NDArray logp = logits(ps, step, batch, true).logSoftmax(-1);
    return logp.mul(step.create(onehot, new Shape(examples.length, classes)))
        .sum(new int[] {1})
        .neg()
        .mean();
  }

  @Override
  public Map<String, Double> evaluate(NDManager home, boolean test) {
    List<WordNetSupersenses.Example> split = test ? data.test() : data.validation();
    int limit = test ? testLimit : evalLimit;
    int n = limit > 0 ? Math.min(limit, split.size()) : split.size();
    int[] gold = new int[n];
    int[] pred = new int[n];
    int bs = 64;
    for (int start = 0; start < n; start += bs) {
      List<WordNetSupersenses.Example> batch = split.subList(start, Math.min(n, start + bs));
      try (NDManager sub = home.newSubManager()) {
        attachAll(sub);
        long[] p =
            logits(new ParameterStore(sub, false), sub, batch, false).argMax(-1).toLongArray();
        for (int i = 0; i < batch.size(); i++) {
          gold[start + i] = batch.get(i).label();
          pred[start + i] = (int) p[i];
        }
      }
    }
    if (test) {
      lastTestGold = gold;
      lastTestPredictions = pred;
    }
    Map<String, Double> out = new LinkedHashMap<>();
    out.put("accuracy", ClassificationMetrics.accuracy(gold, pred));
    out.put("macroF1", ClassificationMetrics.macroF1(gold, pred, classes));
    out.put("examples", (double) n);
    return out;
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
