package io.salientstream.trainer.model;

import java.util.Locale;

/**
 * The pretrained encoders available offline as Maven jars (float32 ONNX + tokenizer.json at the jar
 * root).
 */
public enum EncoderModel {
  MINILM(
      "minilm",
      "/all-minilm-l6-v2.onnx",
      "/all-minilm-l6-v2-tokenizer.json",
      6,
      "sentence-transformers/all-MiniLM-L6-v2"),
  BGE_SMALL(
      "bge-small",
      "/bge-small-en-v1.5.onnx",
      "/bge-small-en-v1.5-tokenizer.json",
      12,
      "BAAI/bge-small-en-v1.5");

  public static final int HIDDEN = 384;
  public static final int HEADS = 12;
  public static final int FFN = 1536;

  private final String cliName;
  private final String onnxResource;
  private final String tokenizerResource;
  private final int layers;
  private final String hubName;

  EncoderModel(String cliName, String onnx, String tokenizer, int layers, String hubName) {
    this.cliName = cliName;
    this.onnxResource = onnx;
    this.tokenizerResource = tokenizer;
    this.layers = layers;
    this.hubName = hubName;
  }

  public String cliName() {
    return cliName;
  }

  public String onnxResource() {
    return onnxResource;
  }

  public String tokenizerResource() {
    return tokenizerResource;
  }

  public int layers() {
    return layers;
  }

  /** The HuggingFace model id the weights came from (written into exported adapter configs). */
  public String hubName() {
    return hubName;
  }

  public static EncoderModel parse(String s) {
    for (EncoderModel m : values()) {
      if (m.cliName.equals(s.toLowerCase(Locale.ROOT))) {
        return m;
      }
    }
    throw new IllegalArgumentException("unknown model '" + s + "' (expected minilm or bge-small)");
  }
}
